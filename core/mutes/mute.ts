// Operator mutes (pure): a (source, template id) pair whose events detect-anomaly still counts but never
// reports as anomalies or incidents. The list is one small JSON document; store.ts reads and writes it.

/** One mute. Times are epoch ms. */
export interface Mute {
  source: string;
  templateId: string;
  /** When it was set (or last replaced). */
  at: number;
  /** When it ends; absent = until unmuted. */
  until?: number;
  reason?: string;
  /** Who set it (the operator's name as the client sent it, else the authenticated user). */
  by?: string;
}

/** What an operator asks for; the server stamps `at` and turns `forMs` into `until`. */
export interface MuteRequest {
  source: string;
  templateId: string;
  forMs?: number;
  reason?: string;
  by?: string;
}

export const MUTE_LIMITS = {
  /**
   * Mutes kept at once: a hand-curated list; 500 is far more than an operator maintains, and bounds the
   * document every detect-anomaly replica re-reads when it changes (at most ~300 KB with every field full).
   */
  maxMutes: 500,
  /** Source names: parse-log caps them shorter; this only stops a client from sending a novel. */
  sourceChars: 200,
  /** Template ids are `t` + 16 hex digits; room for other id schemes. */
  templateIdChars: 100,
  reasonChars: 200,
  byChars: 64,
  /** Longest `--for`: a year (a mute meant to last longer is one without an end). */
  maxForMs: 366 * 86_400_000,
} as const;

/** A request field problem, for a 400 with the field named. */
export class MuteInputError extends Error {}

/** The key of a mute in maps and sets; unambiguous whatever the two strings hold. */
export const muteKey = (source: string, templateId: string): string => JSON.stringify([source, templateId]);

/** Whether a mute applies at `now`. */
export const isActive = (m: Mute, now: number): boolean => m.until === undefined || m.until > now;

/** Checks a request body (already JSON-parsed); throws MuteInputError naming the bad field. */
export function parseMuteRequest(body: unknown): MuteRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new MuteInputError('body must be a JSON object {source, templateId, forMs?, reason?, by?}');
  const b = body as Record<string, unknown>;
  const source = requiredText(b.source, 'source', MUTE_LIMITS.sourceChars);
  const templateId = requiredText(b.templateId, 'templateId', MUTE_LIMITS.templateIdChars);
  let forMs: number | undefined;
  if (b.forMs !== undefined && b.forMs !== null) {
    if (
      typeof b.forMs !== 'number' ||
      !Number.isInteger(b.forMs) ||
      b.forMs < 1000 ||
      b.forMs > MUTE_LIMITS.maxForMs
    )
      throw new MuteInputError(
        `forMs must be whole milliseconds from 1000 (1 s) to ${MUTE_LIMITS.maxForMs} (366 d)`,
      );
    forMs = b.forMs;
  }
  return {
    source,
    templateId,
    forMs,
    reason: optionalText(b.reason, 'reason', MUTE_LIMITS.reasonChars),
    by: optionalText(b.by, 'by', MUTE_LIMITS.byChars),
  };
}

/** The mute a request creates at `now`. */
export function muteFrom(req: MuteRequest, now: number, defaultBy?: string): Mute {
  const m: Mute = { source: req.source, templateId: req.templateId, at: now };
  if (req.forMs !== undefined) m.until = now + req.forMs;
  if (req.reason) m.reason = req.reason;
  const by = req.by ?? defaultBy;
  if (by) m.by = by;
  return m;
}

/**
 * The list after setting `m` at `now`: expired mutes dropped, one for the same pair replaced, newest first.
 * `full` when a new pair would pass MUTE_LIMITS.maxMutes (the caller refuses it).
 */
export function withMute(list: readonly Mute[], m: Mute, now: number): { list: Mute[]; full: boolean } {
  const k = muteKey(m.source, m.templateId);
  const rest = list.filter((x) => isActive(x, now) && muteKey(x.source, x.templateId) !== k);
  if (rest.length >= MUTE_LIMITS.maxMutes) return { list: [...list], full: true };
  return { list: [m, ...rest], full: false };
}

/** The list without the pair (and without expired mutes); `removed` when the pair was muted. */
export function withoutMute(
  list: readonly Mute[],
  source: string,
  templateId: string,
  now: number,
): { list: Mute[]; removed: boolean } {
  const k = muteKey(source, templateId);
  const active = list.filter((x) => isActive(x, now));
  const kept = active.filter((x) => muteKey(x.source, x.templateId) !== k);
  return { list: kept, removed: kept.length < active.length };
}

/** The stored document: `{"mutes":[...]}`. */
export function encodeMutes(list: readonly Mute[]): string {
  return JSON.stringify({ mutes: list });
}

/** Reads the stored document; entries that are not a well-formed mute are skipped, garbage is an empty list. */
export function decodeMutes(raw: string | null): Mute[] {
  if (!raw) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return [];
  }
  const items = (doc as { mutes?: unknown })?.mutes;
  if (!Array.isArray(items)) return [];
  const out: Mute[] = [];
  for (const x of items) {
    if (typeof x !== 'object' || x === null) continue;
    const r = x as Record<string, unknown>;
    if (typeof r.source !== 'string' || typeof r.templateId !== 'string' || typeof r.at !== 'number')
      continue;
    const m: Mute = { source: r.source, templateId: r.templateId, at: r.at };
    if (typeof r.until === 'number') m.until = r.until;
    if (typeof r.reason === 'string') m.reason = r.reason;
    if (typeof r.by === 'string') m.by = r.by;
    out.push(m);
  }
  return out;
}

/** The active mutes at `now` as a lookup, for the detector's hot path. */
export interface MuteSet {
  readonly size: number;
  has(source: string, templateId: string): boolean;
}

export function muteSet(list: readonly Mute[], now: number): MuteSet {
  // Keyed by template id first: the hot path then builds no string per event.
  const byTemplate = new Map<string, Set<string>>();
  let size = 0;
  for (const m of list) {
    if (!isActive(m, now)) continue;
    let sources = byTemplate.get(m.templateId);
    if (!sources) byTemplate.set(m.templateId, (sources = new Set()));
    sources.add(m.source);
    size++;
  }
  return { size, has: (source, templateId) => byTemplate.get(templateId)?.has(source) ?? false };
}

function requiredText(v: unknown, name: string, max: number): string {
  if (typeof v !== 'string' || v.trim() === '')
    throw new MuteInputError(`${name} must be a non-empty string`);
  if (v.length > max) throw new MuteInputError(`${name} is longer than ${max} characters`);
  return v;
}

function optionalText(v: unknown, name: string, max: number): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new MuteInputError(`${name} must be a string`);
  if (v.length > max) throw new MuteInputError(`${name} is longer than ${max} characters`);
  return v;
}
