// The template store's layout in the KV, the one home for it: parse-log writes it (functions/parse-log/
// template-store.ts), stats reads the current form of the templates it shows from it (core/stats).
// Hash `parse:tpl:{source}`, field = template id, value = JSON StoredTemplate. Documented in
// docs/parse-log.md; change both together.

import { slotTag } from './kv/slots.js';
import type { KV } from './kv/types.js';

export const templateKey = (source: string): string => `parse:tpl:${slotTag(source)}`;
/** Where the templates of sources past parse-log's source cap go (their events keep their own source). */
export const OTHER_TEMPLATE_SOURCE = '_other';

export interface StoredTemplate {
  /** Tokens of the template's current form (`<*>` for a variable); joined by spaces, its text. */
  tk: string[];
  /** Tree path the miner filed it under (token count first). */
  p: string[];
  /** Created, epoch ms. */
  c: number;
  /** Lines counted when last written: the merge evidence replicas share (functions/parse-log/holes.ts). */
  n?: number;
  /** Merged into this template id: its events count under that id, which shows that id's text. */
  m?: string;
}

/** Merge chains followed at most: a merge points at its canonical id, so a chain is one hop normally. */
export const MAX_ALIAS_HOPS = 4;

export function encodeTemplate(t: StoredTemplate): string {
  return JSON.stringify(t);
}

/** The stored value, or undefined if it is not one (a corrupt field is ignored, never fatal). */
export function decodeTemplate(v: string): StoredTemplate | undefined {
  try {
    const x = JSON.parse(v) as StoredTemplate;
    const ok =
      Array.isArray(x.tk) &&
      x.tk.every((t) => typeof t === 'string') &&
      Array.isArray(x.p) &&
      x.p.every((t) => typeof t === 'string') &&
      x.p[0] === String(x.tk.length) &&
      typeof x.c === 'number' &&
      (x.n === undefined || (Number.isSafeInteger(x.n) && x.n >= 0)) &&
      (x.m === undefined || typeof x.m === 'string');
    return ok ? x : undefined;
  } catch {
    return undefined;
  }
}

export interface TemplateRef {
  /** The event's source (its templates may live under OTHER_TEMPLATE_SOURCE). */
  source: string;
  id: string;
}

export interface CurrentTemplate {
  /** The id its events count under: the template's own, or the end of its merge chain. */
  id: string;
  /** That template's current text; undefined when the store does not hold it. */
  text?: string;
}

export const refKey = (r: TemplateRef): string => `${r.source}|${r.id}`;

/**
 * The current form of each template (keyed by refKey): merges followed to their canonical id (at most
 * MAX_ALIAS_HOPS; a cycle or a missing link stops at the last id found) and that template's text.
 * One hmget per source per hop; templates the store does not hold are left out.
 */
export async function currentTemplates(
  kv: Pick<KV, 'hmget'>,
  refs: readonly TemplateRef[],
): Promise<Map<string, CurrentTemplate>> {
  const bySource = new Map<string, Set<string>>();
  for (const r of refs) {
    let ids = bySource.get(r.source);
    if (!ids) bySource.set(r.source, (ids = new Set()));
    ids.add(r.id);
  }
  const out = new Map<string, CurrentTemplate>();
  await Promise.all(
    [...bySource].map(async ([source, ids]) => {
      const found = await resolveIn(kv, source, [...ids]);
      const missing = [...ids].filter((id) => !found.has(id));
      if (missing.length && source !== OTHER_TEMPLATE_SOURCE) {
        for (const [id, t] of await resolveIn(kv, OTHER_TEMPLATE_SOURCE, missing)) found.set(id, t);
      }
      for (const [id, t] of found) out.set(refKey({ source, id }), t);
    }),
  );
  return out;
}

/** Resolves ids within one source's hash. */
async function resolveIn(
  kv: Pick<KV, 'hmget'>,
  source: string,
  ids: string[],
): Promise<Map<string, CurrentTemplate>> {
  const key = templateKey(source);
  const stored = new Map<string, StoredTemplate | undefined>();
  let wanted = ids;
  for (let hop = 0; hop <= MAX_ALIAS_HOPS && wanted.length; hop++) {
    const values = await kv.hmget(key, wanted);
    wanted.forEach((id, i) => {
      const v = values[i];
      stored.set(id, v === null ? undefined : decodeTemplate(v));
    });
    wanted = [
      ...new Set([...stored.values()].flatMap((t) => (t?.m !== undefined && !stored.has(t.m) ? [t.m] : []))),
    ];
  }
  const out = new Map<string, CurrentTemplate>();
  for (const id of ids) {
    let cur = stored.get(id);
    if (!cur) continue;
    let at = id;
    const seen = new Set([id]);
    for (let hop = 0; hop < MAX_ALIAS_HOPS && cur.m !== undefined; hop++) {
      const next = stored.get(cur.m);
      if (!next || seen.has(cur.m)) break;
      seen.add(cur.m);
      at = cur.m;
      cur = next;
    }
    out.set(id, { id: at, text: cur.tk.join(' ') });
  }
  return out;
}
