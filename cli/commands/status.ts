// `logfaas status` (placeholder until its issue lands).
import type { Command } from '../command.js';

export const statusCommand: Command = {
  name: 'status',
  summary: '(not implemented yet)',
  help: 'logfaas status: not implemented yet',
  async run(_argv, io) {
    io.stderr.write('logfaas status: not implemented yet\n');
    return 1;
  },
};
