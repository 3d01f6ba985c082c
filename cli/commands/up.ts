// `logfaas up` (placeholder until its issue lands).
import type { Command } from '../command.js';

export const upCommand: Command = {
  name: 'up',
  summary: '(not implemented yet)',
  help: 'logfaas up: not implemented yet',
  async run(_argv, io) {
    io.stderr.write('logfaas up: not implemented yet\n');
    return 1;
  },
};
