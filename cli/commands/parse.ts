// `logfaas parse` (placeholder until its issue lands).
import type { Command } from '../command.js';

export const parseCommand: Command = {
  name: 'parse',
  summary: '(not implemented yet)',
  help: 'logfaas parse: not implemented yet',
  async run(_argv, io) {
    io.stderr.write('logfaas parse: not implemented yet\n');
    return 1;
  },
};
