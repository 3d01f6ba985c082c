// The template hour hash's writes for one batch (keys.ts templateHourKey): per template its count, first
// seen, source and text, and last seen, within the hash's cap. Pure, given the state of `sent`.
import type { WriteOp } from '../kv/types.js';
import { CAP_TEMPLATE_IDS, CAPS, hourOf, OTHER_LABEL, TEMPLATE_SLACK, TTL, templateHourKey } from './keys.js';
import type { TemplateMetaSent } from './template-meta.js';

/** A template's lines in a batch, with the text and source its first line gave. */
export interface BatchTemplate {
  n: number;
  text: string;
  source: string;
}

/**
 * The batch's busiest CAPS.templatesPerBatch templates (the rest folded into CAP_TEMPLATE_IDS.batch);
 * first seen and text are left out while `sent` knows them written, last seen while it wrote it lately
 * (template-meta.ts).
 */
export function templateOps(
  templates: Map<string, BatchTemplate>,
  now: number,
  sent?: TemplateMetaSent,
): WriteOp[] {
  let kept = [...templates];
  if (kept.length > CAPS.templatesPerBatch) {
    kept.sort((x, y) => y[1].n - x[1].n);
    const rest = kept.slice(CAPS.templatesPerBatch).reduce((s, [, t]) => s + t.n, 0);
    kept = kept.slice(0, CAPS.templatesPerBatch);
    kept.push([CAP_TEMPLATE_IDS.batch, { n: rest, text: BATCH_CAP_TEXT, source: OTHER_LABEL }]);
  }
  const key = templateHourKey(hourOf(now));
  const ops: WriteOp[] = [];
  // Capped per hash (CAPS.templateHourFields): a template new to a full hour hash is counted under
  // OTHER_LABEL. The count decides; the other three fields get TEMPLATE_SLACK more room, so an admitted
  // count always has its first seen, text and last seen.
  const max = CAPS.templateHourFields;
  const meta = max + TEMPLATE_SLACK;
  const other = (s: string) => `${OTHER_LABEL}|${s}`;
  for (const [id, t] of kept) {
    ops.push({ op: 'hincrbyCapped', key, field: `${id}|n`, by: t.n, maxFields: max, otherField: other('n') });
    const at = String(now);
    // First seen and text go with NX: while this replica knows them written, they would change nothing.
    if (!sent?.fresh(key, id, now)) {
      ops.push({
        op: 'hsetCapped',
        key,
        field: `${id}|f`,
        value: at,
        nx: true,
        maxFields: meta,
        otherField: other('f'),
      });
      // Source and text in one field (`<source>|<text>`; a source never contains `|`): one op and one
      // field fewer per template per batch and per hour read than separate `|s` and `|t` fields.
      ops.push({
        op: 'hsetCapped',
        key,
        field: `${id}|i`,
        value: `${t.source}|${t.text}`,
        nx: true,
        maxFields: meta,
        otherField: other('i'),
        otherValue: `${OTHER_LABEL}|${HOUR_CAP_TEXT}`,
      });
    }
    // Last seen goes at most once per LAST_SEEN_STEP_MS (template-meta.ts): it is overwritten every time.
    if (!sent?.lastSeenFresh(key, id, now))
      ops.push({
        op: 'hsetCapped',
        key,
        field: `${id}|l`,
        value: at,
        maxFields: meta,
        otherField: other('l'),
      });
  }
  if (ops.length) ops.push({ op: 'expire', key, ttlMs: TTL.hour });
  return ops;
}

/** Texts of the cap buckets (CAP_TEMPLATE_IDS): what a per-batch or the per-hour cap folded together. */
const BATCH_CAP_TEXT = `(templates beyond the ${CAPS.templatesPerBatch} busiest of a batch)`;
const HOUR_CAP_TEXT = '(templates new to a full hour of template stats)';
