// A report of function calls made without the gateway (a connector with GATEWAY_INVOKE=false), for the
// gateway's metrics: POST /system/invocations with a JSON array of these.
import { BadRequestError } from './errors.js';

/** One invocation as the gateway's metrics count it: the function, the status it answered, its time. */
export interface Invocation {
  function: string;
  code: number;
  seconds: number;
}

/** What one report may hold. */
export const MAX_REPORTED = 10_000;

/** The report's invocations, or a 400 saying what is wrong; functions not in `known` are refused too. */
export function parseInvocations(text: string, known: (name: string) => boolean): Invocation[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new BadRequestError('the body must be a JSON array of {function, code, seconds}');
  }
  if (!Array.isArray(v))
    throw new BadRequestError('the body must be a JSON array of {function, code, seconds}');
  if (v.length > MAX_REPORTED) throw new BadRequestError(`at most ${MAX_REPORTED} invocations a report`);
  return v.map((x, i) => {
    const o = x as Partial<Invocation> | null;
    if (typeof o?.function !== 'string' || !known(o.function))
      throw new BadRequestError(`invocation ${i}: function must name a function of the stack`);
    if (!Number.isInteger(o.code) || (o.code as number) < 100 || (o.code as number) > 599)
      throw new BadRequestError(`invocation ${i}: code must be an HTTP status (100-599)`);
    if (typeof o.seconds !== 'number' || !Number.isFinite(o.seconds) || o.seconds < 0)
      throw new BadRequestError(`invocation ${i}: seconds must be a number >= 0`);
    return { function: o.function, code: o.code as number, seconds: o.seconds };
  });
}
