// The shape of a `logfaas` subcommand: parsed args in, exit code out. Exit codes scripts can rely on:
// 0 ok, 1 failure (runtime), 2 usage error, 3 cannot reach the gateway, 4 authentication failed.
export const EXIT = { ok: 0, failure: 1, usage: 2, unreachable: 3, auth: 4 } as const;

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
}

export interface Command {
  name: string;
  summary: string;
  /** Full --help text, with examples. */
  help: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

export class UsageError extends Error {}
