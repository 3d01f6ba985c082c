// `logfaas mute` / `logfaas unmute`: operator mutes through the stats function's /mutes route (writes
// need the gateway admin credentials; detect-anomaly replicas apply a change within seconds).
import type { Mute } from '../../core/mutes/mute.js';
import { GATEWAY_FLAGS, GATEWAY_HELP, parseFlags, strFlag } from '../args.js';
import { type CliIo, type Command, EXIT, UsageError } from '../command.js';
import { CliError, describeFailure, gatewayFetch, resolveGateway } from '../gateway-client.js';

const MUTE_HELP = `logfaas mute: stop reporting one template of one source as anomalous (its events are still counted)

Usage:
  logfaas mute SOURCE TEMPLATE_ID [--for DURATION] [--reason TEXT]
  logfaas mute --list [--json]

Options:
      --for DUR        how long, e.g. 30m, 2h, 7d, 2w (default: until \`logfaas unmute\`; at most 366d)
      --reason TEXT    why (shown with the mute on the dashboard and in --list; at most 200 characters)
      --list           the active mutes, newest first
      --json           print the answer as JSON
${GATEWAY_HELP}

Template ids are on the dashboard (incidents, top templates) and in \`logfaas analyze --json\`.
Exit codes: 0 ok, 1 refused or failed, 2 usage, 3 gateway unreachable, 4 authentication failed.

Examples:
  logfaas mute nginx t3f09a1c2d4e5b6a7 --for 2h --reason "planned maintenance"
  logfaas mute --list
  logfaas unmute nginx t3f09a1c2d4e5b6a7
`;

const UNMUTE_HELP = `logfaas unmute: report a muted template again

Usage: logfaas unmute SOURCE TEMPLATE_ID

${GATEWAY_HELP}

Exit codes: 0 ok, 1 not muted or failed, 2 usage, 3 gateway unreachable, 4 authentication failed.
`;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `--for` values: a number and a unit (s, m, h, d, w). Undefined when unparseable. */
export function parseForDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(v.trim());
  return m ? Math.round(Number(m[1]) * UNITS[m[2]]) : undefined;
}

const MUTE_SPEC = {
  ...GATEWAY_FLAGS,
  for: { type: 'string' },
  reason: { type: 'string' },
  list: { type: 'boolean' },
} as const;

export const muteCommand: Command = {
  name: 'mute',
  summary: "stop reporting a template's anomalies (--list shows the mutes)",
  help: MUTE_HELP,
  async run(argv, io) {
    const { flags, files } = parseFlags(argv, MUTE_SPEC);
    if (flags.list) {
      if (files.length || flags.for !== undefined || flags.reason !== undefined)
        throw new UsageError('--list takes no SOURCE, TEMPLATE_ID, --for or --reason');
      return guarded(io, 'mute', () => list(io, flags));
    }
    if (files.length !== 2)
      throw new UsageError('expected SOURCE TEMPLATE_ID (or --list); see logfaas mute --help');
    const [source, templateId] = files;
    let forMs: number | undefined;
    const forRaw = strFlag(flags.for);
    if (flags.for !== undefined) {
      forMs = forRaw === undefined ? undefined : parseForDuration(forRaw);
      if (forMs === undefined || forMs < 1000)
        throw new UsageError('--for must be a duration of at least 1s, such as 30m, 2h, 7d or 2w');
    }
    const reason = strFlag(flags.reason);
    return guarded(io, 'mute', async () => {
      const gw = resolveGateway(flags, io.env);
      const res = await gatewayFetch(gw, '/function/stats/mutes', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source, templateId, forMs, reason, by: io.env.LOGFAAS_USER || io.env.USER }),
        timeoutMs: 30_000,
      });
      if (!res.ok) throw new CliError(`stats answered ${(await describeFailure(res)).message}`, EXIT.failure);
      const text = await res.text();
      const r = JSON.parse(text) as { mute: Mute; replaced: boolean };
      io.stdout.write(
        flags.json
          ? `${text.trimEnd()}\n`
          : `${r.replaced ? 'mute replaced' : 'muted'}: ${describe(r.mute)}\n` +
              'detect-anomaly applies it within a few seconds; its events are still counted in total.\n',
      );
      return EXIT.ok;
    });
  },
};

export const unmuteCommand: Command = {
  name: 'unmute',
  summary: 'report a muted template again',
  help: UNMUTE_HELP,
  async run(argv, io) {
    const { flags, files } = parseFlags(argv, GATEWAY_FLAGS);
    if (files.length !== 2) throw new UsageError('expected SOURCE TEMPLATE_ID; see logfaas unmute --help');
    const [source, templateId] = files;
    return guarded(io, 'unmute', async () => {
      const gw = resolveGateway(flags, io.env);
      const q = new URLSearchParams({ source, templateId });
      const res = await gatewayFetch(gw, `/function/stats/mutes?${q}`, {
        method: 'DELETE',
        timeoutMs: 30_000,
      });
      if (!res.ok) throw new CliError(`stats answered ${(await describeFailure(res)).message}`, EXIT.failure);
      const text = await res.text();
      io.stdout.write(flags.json ? `${text.trimEnd()}\n` : `unmuted: ${templateId} of ${source}\n`);
      return EXIT.ok;
    });
  },
};

async function list(io: CliIo, flags: Parameters<typeof resolveGateway>[0] & { json?: string | boolean }) {
  const gw = resolveGateway(flags, io.env);
  const res = await gatewayFetch(gw, '/function/stats/mutes', { timeoutMs: 30_000 });
  if (!res.ok) throw new CliError(`stats answered ${(await describeFailure(res)).message}`, EXIT.failure);
  const text = await res.text();
  if (flags.json) {
    io.stdout.write(`${text.trimEnd()}\n`);
    return EXIT.ok;
  }
  const { mutes } = JSON.parse(text) as { mutes: Mute[] };
  io.stdout.write(mutes.length ? `${mutes.length} active mute(s)\n` : 'no active mutes\n');
  for (const m of mutes) io.stdout.write(`- ${describe(m)}\n`);
  return EXIT.ok;
}

/** One line: template, source, until when, by whom, why (reason and source quoted: they are free text). */
function describe(m: Mute): string {
  const until = m.until === undefined ? 'until unmuted' : `until ${new Date(m.until).toISOString()}`;
  return [
    `${m.templateId} of ${JSON.stringify(m.source)}`,
    until,
    `set ${new Date(m.at).toISOString()}${m.by ? ` by ${m.by}` : ''}`,
    m.reason ? `reason ${JSON.stringify(m.reason)}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

async function guarded(io: CliIo, name: string, fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    io.stderr.write(`logfaas ${name}: ${e.message}\n`);
    return e.exitCode;
  }
}
