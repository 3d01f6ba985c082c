// `logfaas dlq` (placeholder until its issue lands).
import type { Command } from '../command.js';

export const dlqCommand: Command = {
  name: 'dlq',
  summary: '(not implemented yet)',
  help: 'logfaas dlq: not implemented yet',
  async run(_argv, io) {
    io.stderr.write('logfaas dlq: not implemented yet\n');
    return 1;
  },
};
