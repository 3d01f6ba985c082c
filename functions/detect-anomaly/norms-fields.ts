// How a source's norms hash (MODEL_KEYS.norms) stores its fields, both ways: the one place that knows that
// a template's two running means (`mm:<tpl>` and `pm:<tpl>` in memory, deltas.ts) are stored together as
// `mp:<tpl>` = `<mm>,<pm>` (one field a template a batch instead of two: ~70 of a 500-line batch's ~780
// writes). Older stores hold them apart; such a field is read until the template's `mp:` exists.
import type { Norms } from './norms-cache.js';

const MEANS = 'mp:';
const MESSAGE_MEAN = 'mm:';
const PARAM_MEAN = 'pm:';

/**
 * One stored norms field into the parsed form: the count baselines' packed text (`c:<key>`) as it is, a
 * template's means (`mp:`) as the two numbers (its text kept too, which tells that older separate fields
 * no longer count), every other field as a number; false (and nothing set) for a value that is not a
 * finite number. The result does not depend on the order the fields come in.
 */
export function putNormsField(n: Norms, f: string, v: string): boolean {
  const c0 = f.charCodeAt(0);
  if (c0 === 99 && f.charCodeAt(1) === 58) {
    n.packed.set(f, v);
    return true;
  }
  if (c0 === 109 || c0 === 112) {
    if (f.startsWith(MEANS)) {
      const cut = v.indexOf(',');
      // Number('') is 0: an empty half is as bad as a missing one.
      const ok = cut > 0 && cut < v.length - 1;
      const mm = ok ? Number(v.slice(0, cut)) : Number.NaN;
      const pm = ok ? Number(v.slice(cut + 1)) : Number.NaN;
      if (!Number.isFinite(mm) || !Number.isFinite(pm)) return false;
      const tpl = f.slice(MEANS.length);
      n.packed.set(f, v);
      n.stats.set(MESSAGE_MEAN + tpl, mm);
      n.stats.set(PARAM_MEAN + tpl, pm);
      return true;
    }
    if ((f.startsWith(MESSAGE_MEAN) || f.startsWith(PARAM_MEAN)) && n.packed.has(MEANS + f.slice(3))) {
      return Number.isFinite(Number(v));
    }
  }
  const x = Number(v);
  if (!Number.isFinite(x)) return false;
  n.stats.set(f, x);
  return true;
}

/**
 * The HSET fields of a batch's value fields (`sets`: means and latency counts), as stored. deltas.ts sets
 * both means of a template together; one alone keeps its own field.
 */
export function normsSetFields(sets: ReadonlyMap<string, number>, into: Record<string, string>): void {
  for (const [field, v] of sets) {
    if (field.startsWith(MESSAGE_MEAN)) {
      const tpl = field.slice(MESSAGE_MEAN.length);
      const pm = sets.get(PARAM_MEAN + tpl);
      if (pm !== undefined) {
        into[MEANS + tpl] = `${v},${pm}`;
        continue;
      }
    } else if (field.startsWith(PARAM_MEAN) && sets.has(MESSAGE_MEAN + field.slice(PARAM_MEAN.length)))
      continue;
    into[field] = String(v);
  }
}
