// `logfaas send` (placeholder until its issue lands).
import type { Command } from '../command.js';

export const sendCommand: Command = {
  name: 'send',
  summary: '(not implemented yet)',
  help: 'logfaas send: not implemented yet',
  async run(_argv, io) {
    io.stderr.write('logfaas send: not implemented yet\n');
    return 1;
  },
};
