// `logfaas` entry: dispatches to one subcommand module; each owns its flags, help and exit codes.

import { type CliIo, type Command, EXIT, UsageError } from './command.js';
import { analyzeCommand } from './commands/analyze.js';
import { dlqCommand } from './commands/dlq.js';
import { muteCommand, unmuteCommand } from './commands/mute.js';
import { parseCommand } from './commands/parse.js';
import { searchCommand } from './commands/search.js';
import { sendCommand } from './commands/send.js';
import { simulateCommand } from './commands/simulate.js';
import { statusCommand } from './commands/status.js';
import { upCommand } from './commands/up.js';

const commands: Command[] = [
  upCommand,
  sendCommand,
  simulateCommand,
  statusCommand,
  parseCommand,
  analyzeCommand,
  dlqCommand,
  muteCommand,
  unmuteCommand,
  searchCommand,
];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'logfaas: log analysis pipeline on OpenFaaS functions',
    '',
    'Usage: logfaas <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `logfaas <command> --help` for options and examples.',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.stderr.write(`logfaas: unknown command '${name}'\n\n${usage()}`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${cmd.help.trimEnd()}\n`);
    return EXIT.ok;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      // The command's usage line under the error, so the right shape is one glance away.
      const line = /^Usage: .*$/m.exec(cmd.help)?.[0];
      const hint = `${line ? `${line}\n` : ''}Run 'logfaas ${name} --help' for every option.\n`;
      io.stderr.write(`logfaas ${name}: ${e.message}\n${hint}`);
      return EXIT.usage;
    }
    io.stderr.write(`logfaas ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    // Errors that know their exit code (unreachable gateway 3, refused credentials 4) keep it.
    const code = (e as { exitCode?: unknown }).exitCode;
    return typeof code === 'number' ? code : EXIT.failure;
  }
}

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
// Long-running commands (up, send --follow) resolve only when they are done.
process.exitCode = code;
