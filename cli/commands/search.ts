// `logfaas search`: the kept lines that contain a text (or the lines around an incident), through the
// search function (it needs the gateway admin credentials: it returns log content).

import type { ShownHit } from '../../core/search/query.js';
import { GATEWAY_FLAGS, GATEWAY_HELP, intFlag, parseFlags, strFlag } from '../args.js';
import { type CliIo, type Command, EXIT, UsageError } from '../command.js';
import { CliError, describeFailure, gatewayFetch, resolveGateway } from '../gateway-client.js';
import { parseForDuration } from './mute.js';

const HELP = `logfaas search: the kept log lines that contain TEXT, newest first

Usage:
  logfaas search TEXT [--source S] [--level L] [--since DUR] [--limit N] [--json]
  logfaas search --incident ID [--context N] [--json]

Options:
      --source S       only lines of this source
      --level L        only these levels (comma-separated: error,fatal)
      --since DUR      only lines of the last DUR of event time, e.g. 15m, 1h, 2d
      --limit N        lines at most (default 100)
      --incident ID    the lines before and after an incident (ids are on the dashboard and in
                       logfaas analyze --incidents --json); its own lines are marked '>'
      --context N      lines before and after it (default 50)
      --json           one JSON object per line (NDJSON); with --incident the whole answer
${GATEWAY_HELP}

Lines are kept for SEARCH_RETENTION (24 h) within SEARCH_MAX_BYTES (256 MB), whichever ends first.
Exit codes: 0 ok (also when nothing matched), 1 failed, 2 usage, 3 gateway unreachable, 4 authentication failed.

Examples:
  logfaas search "connection refused" --source api --since 1h
  logfaas search --incident 3f09a1c2d4e5b6a7
`;

const SPEC = {
  ...GATEWAY_FLAGS,
  source: { type: 'string' },
  level: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  incident: { type: 'string' },
  context: { type: 'string' },
} as const;

/** Requests one search makes at most while following cursors (each reads a bounded share of the store). */
const MAX_PAGES = 200;

type Hit = ShownHit;

/** A log line for a terminal: control characters (escape sequences included) shown, never interpreted. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

const lineOf = (h: Hit, mark = '') =>
  `${mark}${h.ts}  ${h.source}  ${h.level.padEnd(5)}  ${printable(h.raw)}\n`;

export const searchCommand: Command = {
  name: 'search',
  summary: 'find kept log lines by text, source, level, time; or the lines around an incident',
  help: HELP,
  async run(argv, io) {
    const { flags, files } = parseFlags(argv, SPEC);
    const incident = strFlag(flags.incident);
    if (incident !== undefined) {
      if (files.length || flags.source || flags.level || flags.since || flags.limit)
        throw new UsageError('--incident takes no TEXT, --source, --level, --since or --limit');
      const context = intFlag(flags.context, 'context', 50, 0);
      return guarded(io, () => aroundIncident(io, flags, incident, context));
    }
    if (flags.context !== undefined) throw new UsageError('--context goes with --incident');
    if (files.length > 1) throw new UsageError('expected one TEXT (quote it if it has spaces)');
    const text = files[0] ?? '';
    const source = strFlag(flags.source);
    const level = strFlag(flags.level);
    if (!text && !source && !level && flags.since === undefined)
      throw new UsageError('expected TEXT, or at least one of --source, --level, --since');
    const limit = intFlag(flags.limit, 'limit', 100, 1);
    const q = new URLSearchParams({ format: 'ndjson' });
    if (text) q.set('q', text);
    if (source) q.set('source', source);
    if (level) q.set('level', level);
    if (flags.since !== undefined) {
      const ms = parseForDuration(strFlag(flags.since) ?? '');
      if (ms === undefined) throw new UsageError('--since must be a duration such as 15m, 1h, 2d');
      q.set('from', String(Date.now() - ms));
    }
    return guarded(io, async () => {
      const gw = resolveGateway(flags, io.env);
      let left = limit;
      let cursor: string | null = null;
      let shown = 0;
      for (let page = 0; page < MAX_PAGES && left > 0; page++) {
        q.set('limit', String(Math.min(left, 1000)));
        if (cursor) q.set('cursor', cursor);
        const res = await gatewayFetch(gw, `/function/search?${q}`, { timeoutMs: 30_000 });
        if (!res.ok)
          throw new CliError(`search answered ${(await describeFailure(res)).message}`, EXIT.failure);
        cursor = res.headers.get('x-next-cursor');
        const text = await res.text();
        const hits = text ? text.trimEnd().split('\n') : [];
        for (const l of hits) io.stdout.write(flags.json ? `${l}\n` : lineOf(JSON.parse(l) as Hit));
        shown += hits.length;
        left -= hits.length;
        if (!cursor) break;
      }
      if (!flags.json)
        io.stderr.write(
          `${shown} line(s)${cursor && left <= 0 ? ` (more: --limit ${limit * 2})` : cursor ? ' (stopped: the search read its page limit)' : ''}\n`,
        );
      return EXIT.ok;
    });
  },
};

async function aroundIncident(
  io: CliIo,
  flags: Parameters<typeof resolveGateway>[0] & { json?: string | boolean },
  id: string,
  context: number,
): Promise<number> {
  const gw = resolveGateway(flags, io.env);
  const q = new URLSearchParams({ incident: id, context: String(context) });
  const res = await gatewayFetch(gw, `/function/search?${q}`, { timeoutMs: 30_000 });
  if (!res.ok) throw new CliError(`search answered ${(await describeFailure(res)).message}`, EXIT.failure);
  const text = await res.text();
  if (flags.json) {
    io.stdout.write(`${text.trimEnd()}\n`);
    return EXIT.ok;
  }
  const r = JSON.parse(text) as {
    incident: { kind: string; source: string; reasons: string[] };
    lines: Hit[];
    omitted: number;
    kept: boolean;
  };
  io.stdout.write(
    `incident ${id}: ${r.incident.kind} in ${JSON.stringify(r.incident.source)}: ${printable(r.incident.reasons[0] ?? '')}\n`,
  );
  if (!r.kept)
    io.stdout.write('(its own lines are no longer kept: retention; showing the lines around its time)\n');
  for (const h of r.lines) io.stdout.write(lineOf(h, h.anomalous ? '> ' : '  '));
  if (r.omitted) io.stdout.write(`(${r.omitted} more of its lines left out of the middle)\n`);
  return EXIT.ok;
}

async function guarded(io: CliIo, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    io.stderr.write(`logfaas search: ${e.message}\n`);
    return e.exitCode;
  }
}
