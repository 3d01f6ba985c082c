// `logfaas simulate` (placeholder until its issue lands).
import type { Command } from '../command.js';

export const simulateCommand: Command = {
  name: 'simulate',
  summary: '(not implemented yet)',
  help: 'logfaas simulate: not implemented yet',
  async run(_argv, io) {
    io.stderr.write('logfaas simulate: not implemented yet\n');
    return 1;
  },
};
