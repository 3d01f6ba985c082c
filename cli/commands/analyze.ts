// `logfaas analyze` (placeholder until its issue lands).
import type { Command } from '../command.js';

export const analyzeCommand: Command = {
  name: 'analyze',
  summary: '(not implemented yet)',
  help: 'logfaas analyze: not implemented yet',
  async run(_argv, io) {
    io.stderr.write('logfaas analyze: not implemented yet\n');
    return 1;
  },
};
