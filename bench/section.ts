// One benchmark section: figures for the --json object and lines for people.
export interface BenchResult {
  figures: Record<string, number | string | Record<string, number>>;
  lines: string[];
}
export type BenchSection = (opts: { quick: boolean; log: (line: string) => void }) => Promise<BenchResult>;
