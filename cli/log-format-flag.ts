// `--log-format` for the offline commands (parse, analyze): compiled once, a bad string is a usage error.
import { compileFormat, FormatError } from '../functions/parse-log/pipeline.js';
import { UsageError } from './command.js';

export type CompiledFormat = ReturnType<typeof compileFormat>;

export function logFormatFlag(text: string | undefined): CompiledFormat | undefined {
  if (!text) return undefined;
  try {
    return compileFormat(text);
  } catch (e) {
    if (e instanceof FormatError) throw new UsageError(`--log-format: ${e.message}`);
    throw e;
  }
}
