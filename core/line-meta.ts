// Per-line metadata beside the lines of a batch envelope (`application/vnd.logfaas.batch+json`,
// field `meta`): what a structured protocol (OTLP, Loki push) already knows about a line, so
// parse-log need not guess it from the text. The producer writes it, parse-log applies it.

export type MetaValue = string | number | boolean | null;

export interface LineMeta {
  /** Event time in epoch ms; replaces whatever time the line's text carries. */
  ts?: number;
  /** Level name (`warn`, `ERROR`, a syslog severity digit...), normalised by parse-log. */
  level?: string;
  service?: string;
  host?: string;
  /** Added to the event's fields (over the line's own fields of the same name). */
  fields?: Record<string, MetaValue>;
}
