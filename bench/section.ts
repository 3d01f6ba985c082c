// One benchmark section: figures for the --json object and lines for people.
export interface BenchResult {
  figures: Record<string, number | string | Record<string, number>>;
  lines: string[];
}
export interface BenchOptions {
  quick: boolean;
  log: (line: string) => void;
  /** Pipeline soak: stream at half the sustained rate this long and watch every process's RSS. */
  soakMs?: number;
}
export type BenchSection = (opts: BenchOptions) => Promise<BenchResult>;
