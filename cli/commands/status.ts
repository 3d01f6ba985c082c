// `logfaas status`: a terminal summary of the stats function (GET /function/stats).
import { GATEWAY_FLAGS, GATEWAY_HELP, parseFlags, strFlag } from '../args.js';
import { type Command, EXIT, UsageError } from '../command.js';
import { CliError, describeFailure, gatewayFetch, preflight, resolveGateway } from '../gateway-client.js';
import { formatStatus } from '../status-format.js';

const HELP = `logfaas status: what a running logfaas has seen (events, anomalies, sources, latency, queues)

Usage: logfaas status [options]

Options:
  -w, --window DUR     time window for the recent figures, e.g. 5m, 1h, 24h (default: the stats default)
      --json           print the stats document as returned (JSON with at least total and anomalies)
${GATEWAY_HELP}

Exit codes: 0 ok, 1 stats failed, 2 usage, 3 gateway unreachable, 4 authentication failed.

Examples:
  logfaas status
  logfaas status --window 1h
  logfaas status --json | jq '.total, .anomalies'
  OPENFAAS_URL=http://gateway:8080 OPENFAAS_PASSWORD=... logfaas status
`;

const SPEC = { ...GATEWAY_FLAGS, window: { type: 'string', short: 'w' } } as const;

export const statusCommand: Command = {
  name: 'status',
  summary: 'summary of events, anomalies, sources, latency and queues',
  help: HELP,
  async run(argv, io) {
    const { flags, files } = parseFlags(argv, SPEC);
    if (files.length) throw new UsageError(`unexpected argument ${files[0]}`);
    const window = strFlag(flags.window);
    if (window !== undefined && !/^\d+(ms|s|m|h|d)?$/.test(window))
      throw new UsageError('--window must be a duration such as 15m or 1h');
    try {
      const gw = resolveGateway(flags, io.env);
      await preflight(gw, 'stats');
      const res = await gatewayFetch(
        gw,
        `/function/stats${window ? `?window=${encodeURIComponent(window)}` : ''}`,
        { timeoutMs: 30_000 },
      );
      if (!res.ok) throw new CliError(`stats answered ${(await describeFailure(res)).message}`, EXIT.failure);
      const text = await res.text();
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        throw new CliError('stats answered something that is not JSON', EXIT.failure);
      }
      const d = doc as Record<string, unknown>;
      if (!Number.isInteger(d?.total) || !Number.isInteger(d?.anomalies)) {
        throw new CliError('stats answer lacks integer total and anomalies', EXIT.failure);
      }
      io.stdout.write(flags.json ? `${text.trimEnd()}\n` : formatStatus(d, gw.url));
      return EXIT.ok;
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      io.stderr.write(`logfaas status: ${e.message}\n`);
      return e.exitCode;
    }
  },
};
