// `logfaas simulate`: drives the producer's simulator (labelled anomalies for scoring detectors).
import {
  SCENARIOS,
  type ScenarioSpec,
  type SimulationRequest,
  SYSTEMS,
} from '../../functions/producer/simulate/index.js';
import { validateSimulationRequest } from '../../functions/producer/simulate/validate.js';
import { GATEWAY_FLAGS, GATEWAY_HELP, intFlag, parseFlags } from '../args.js';
import { type Command, EXIT, UsageError } from '../command.js';
import { CliError, describeFailure, gatewayFetch, preflight, resolveGateway } from '../gateway-client.js';
import { fmtInt } from '../progress.js';

const HELP = `logfaas simulate: generate realistic logs with labelled anomalies in a running logfaas

Usage: logfaas simulate [options]

Systems: web (Nginx combined), api (JSON lines), db (its own text format).
Scenarios: ${SCENARIOS.join(', ')}.
Each labelled line's scenario travels beside the line (never in it), so detectors can be scored.

Options:
  -s, --system NAME       ${SYSTEMS.join('|')}; repeat or comma-separate (default: all three)
  -S, --scenario SPEC     NAME[:SYSTEM][@AT][+DURATION] (seconds after the start); repeatable,
                          e.g. latency-spike, error-burst:db@120+30
  -n, --lines N           lines to generate (default 1000)
  -d, --duration SEC      or: simulated seconds to generate
  -r, --rate N            lines per second at the start (default 100; traffic follows a daily rhythm)
      --seed N            same seed, same lines (default 1)
      --start TIME        simulated start, ISO 8601 or epoch ms (default: now)
      --realtime          publish at the simulated rate instead of as fast as possible
      --no-rhythm         constant rate (no daily rhythm)
      --dry-run           print the lines as JSON (system, source, line, label, ts) instead of sending
      --json              print the producer's answer as JSON
${GATEWAY_HELP}

Exit codes: 0 ok, 1 producer failed (the accepted count is printed), 2 usage, 3 unreachable, 4 auth.

Examples:
  logfaas simulate --system api --scenario latency-spike --lines 50000 --seed 7
  logfaas simulate --scenario error-burst:db@60+20 --scenario endpoint-scan --duration 300 --rate 500
  logfaas simulate --system web --lines 20 --dry-run | jq -r .line
`;

const SPEC = {
  ...GATEWAY_FLAGS,
  system: { type: 'string', short: 's', multiple: true },
  scenario: { type: 'string', short: 'S', multiple: true },
  lines: { type: 'string', short: 'n' },
  duration: { type: 'string', short: 'd' },
  rate: { type: 'string', short: 'r' },
  seed: { type: 'string' },
  start: { type: 'string' },
  realtime: { type: 'boolean' },
  'no-rhythm': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} as const;

/** `latency-spike:api@120+30` -> { name, system, at, durationSec }. */
export function parseScenario(spec: string): ScenarioSpec {
  const m = /^([a-z-]+)(?::([a-z]+))?(?:@(\d+(?:\.\d+)?))?(?:\+(\d+(?:\.\d+)?))?$/.exec(spec);
  if (!m)
    throw new UsageError(`--scenario ${JSON.stringify(spec)} must look like NAME[:SYSTEM][@AT][+DURATION]`);
  const s: Record<string, unknown> = { name: m[1] };
  if (m[2]) s.system = m[2];
  if (m[3]) s.at = Number(m[3]);
  if (m[4]) s.durationSec = Number(m[4]);
  return s as unknown as ScenarioSpec;
}

export function buildRequest(
  flags: Record<string, string | boolean | string[] | undefined>,
): SimulationRequest {
  const req: Record<string, unknown> = {};
  const systems = ((flags.system as string[] | undefined) ?? []).flatMap((s) => s.split(',')).filter(Boolean);
  if (systems.length) req.systems = systems;
  const scenarios = ((flags.scenario as string[] | undefined) ?? []).map(parseScenario);
  if (scenarios.length) req.scenarios = scenarios;
  if (flags.lines !== undefined) req.lines = intFlag(flags.lines as string, 'lines', 1);
  if (flags.duration !== undefined) req.durationSec = Number(flags.duration);
  if (flags.rate !== undefined) req.rate = Number(flags.rate);
  if (flags.seed !== undefined) req.seed = intFlag(flags.seed as string, 'seed', 0, 0);
  if (typeof flags.start === 'string') {
    const t = /^\d+$/.test(flags.start) ? Number(flags.start) : Date.parse(flags.start);
    if (!Number.isFinite(t)) throw new UsageError('--start must be ISO 8601 or epoch ms');
    req.startTime = t;
  }
  if (flags['no-rhythm']) req.dailyRhythm = false;
  const v = validateSimulationRequest(req);
  if (!v.ok)
    throw new UsageError(
      v.errors
        .join('; ')
        .replace(/\bdurationSec\b/g, 'duration')
        .replace(/\bsystems\b/g, 'system'),
    );
  return v.request;
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'generate realistic logs with labelled anomalies (web, api, db)',
  help: HELP,
  async run(argv, io) {
    const { flags, files } = parseFlags(argv, SPEC);
    if (files.length) throw new UsageError(`unexpected argument ${files[0]}`);
    const req = buildRequest(flags as Record<string, string | boolean | string[] | undefined>);
    const dry = flags['dry-run'] === true;
    const body = {
      ...req,
      ...(dry ? { publish: false } : {}),
      ...(flags.realtime ? { realtime: true } : {}),
    };
    try {
      const gw = resolveGateway(flags as Record<string, string | boolean | undefined>, io.env);
      await preflight(gw, 'producer');
      const started = Date.now();
      const res = await gatewayFetch(gw, '/function/producer', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        timeoutMs: 60 * 60_000,
      });
      if (!res.ok) {
        const { message, body: failure } = await describeFailure(res);
        const accepted =
          typeof failure?.accepted === 'number'
            ? `; ${fmtInt(failure.accepted)} lines were accepted before it`
            : '';
        throw new CliError(`producer answered ${message}${accepted}`, EXIT.failure);
      }
      if (dry) {
        await res.body?.pipeTo(new WritableStream({ write: (c) => void io.stdout.write(c) }));
        return EXIT.ok;
      }
      const text = await res.text();
      const r = JSON.parse(text) as Record<string, unknown>;
      io.stdout.write(flags.json ? `${text.trimEnd()}\n` : describe(r, (Date.now() - started) / 1000));
      return EXIT.ok;
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      io.stderr.write(`logfaas simulate: ${e.message}\n`);
      return e.exitCode;
    }
  },
};

function describe(r: Record<string, unknown>, sec: number): string {
  const accepted = Number(r.accepted ?? 0);
  const by = Object.entries((r.bySource as Record<string, number>) ?? {}).map(
    ([k, v]) => `${k} ${fmtInt(v)}`,
  );
  const labelled = Object.entries((r.labelled as Record<string, number>) ?? {}).map(
    ([k, v]) => `${k} ${fmtInt(v)}`,
  );
  const out = [
    `simulated ${fmtInt(accepted)} lines${by.length ? ` (${by.join(', ')})` : ''} in ${sec.toFixed(1)}s: ${fmtInt(accepted / Math.max(sec, 0.001))} lines/s${r.seed !== undefined ? `, seed ${r.seed}` : ''}`,
    `labelled: ${labelled.length ? labelled.join(', ') : 'none'}`,
  ];
  for (const s of (r.scenarios as Record<string, unknown>[]) ?? []) {
    const from = new Date(Number(s.startMs)).toISOString();
    const to = new Date(Number(s.endMs)).toISOString();
    const target = s.target ? ` ${s.target} x${s.factor}` : '';
    out.push(`  ${s.name} on ${s.system}${target}: ${from} .. ${to}`);
  }
  return `${out.join('\n')}\n`;
}
