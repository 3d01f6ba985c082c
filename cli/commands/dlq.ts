// `logfaas dlq list|replay`: inspect and replay dead-lettered messages through the gateway's
// /system/dead-letters (works the same with the embedded broker and RabbitMQ).
import type { DeadLetter } from '../../gateway/dead-letters.js';
import { GATEWAY_FLAGS, GATEWAY_HELP, intFlag, parseFlags } from '../args.js';
import { type Command, EXIT, UsageError } from '../command.js';
import { CliError, gatewayFetch, resolveGateway } from '../gateway-client.js';

const HELP = `logfaas dlq: the dead-letter queue (messages a function rejected or that failed every retry)

Usage:
  logfaas dlq list [--limit N] [--json]     show dead letters: function, reason, attempts, a preview
  logfaas dlq replay [--limit N]            republish them to their original topic (same message id,
                                            so effects already applied are not applied twice)

${GATEWAY_HELP}

Examples:
  logfaas dlq list
  logfaas dlq list --json | jq '.messages[].reason'
  logfaas dlq replay --limit 10
`;

export const dlqCommand: Command = {
  name: 'dlq',
  summary: 'list or replay dead-lettered messages',
  help: HELP,
  async run(argv, io) {
    const { flags, files } = parseFlags(argv, { ...GATEWAY_FLAGS, limit: { type: 'string', short: 'n' } });
    const [action, ...rest] = files;
    if (rest.length || (action !== 'list' && action !== 'replay'))
      throw new UsageError('expected `list` or `replay`');
    const limit = intFlag(flags.limit, 'limit', 100);
    const gw = resolveGateway(flags, io.env);
    const res = await gatewayFetch(
      gw,
      `/system/dead-letters${action === 'replay' ? '/replay' : ''}?limit=${limit}`,
      {
        method: action === 'replay' ? 'POST' : 'GET',
      },
    );
    const body = await res.text();
    if (!res.ok) throw new CliError(`gateway answered ${res.status}: ${body.slice(0, 200)}`, EXIT.failure);
    if (action === 'replay') {
      const r = JSON.parse(body) as { replayed: number; failed: number };
      io.stdout.write(
        flags.json
          ? `${body}\n`
          : `replayed ${r.replayed} message(s)${r.failed ? `, ${r.failed} failed` : ''}\n`,
      );
      return r.failed ? EXIT.failure : EXIT.ok;
    }
    if (flags.json) {
      io.stdout.write(`${body}\n`);
      return EXIT.ok;
    }
    const r = JSON.parse(body) as { total: number; messages: DeadLetter[] };
    io.stdout.write(
      `${r.total} dead-lettered message(s)${r.total > r.messages.length ? `, showing ${r.messages.length}` : ''}\n`,
    );
    for (const m of r.messages) {
      const preview = m.preview.split('\n')[0].slice(0, 100);
      io.stdout.write(
        `- ${m.messageId}  ${m.function ?? '?'} <- ${m.topic}  ${m.reason ?? ''}${m.attempts ? ` (${m.attempts} attempts)` : ''}  ${m.bytes} B  ${m.deadLetteredAt ?? ''}\n    ${JSON.stringify(preview)}\n`,
      );
    }
    return EXIT.ok;
  },
};
