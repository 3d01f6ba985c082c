// One batch's endpoint names (pure): core/endpoint.ts's endpointOf, memoised per method and path.
import { endpointOf } from '../../core/endpoint.js';

/**
 * endpointOf memoised per method and path, for one batch (the map dies with it, so it needs no bound): a
 * batch repeats a few routes, and each event's endpoint was a new string to build, then to flatten and
 * hash in every Map it keys (measured ~100 ns of keysOf's ~360 per event). Same strings, one object each.
 */
export function endpointMemo(): (method: string | undefined, path: string | undefined) => string | undefined {
  const byMethod = new Map<string | undefined, Map<string | undefined, string | undefined>>();
  return (method, path) => {
    let byPath = byMethod.get(method);
    if (!byPath) byMethod.set(method, (byPath = new Map()));
    let ep = byPath.get(path);
    if (ep === undefined && !byPath.has(path)) byPath.set(path, (ep = endpointOf(method, path)));
    return ep;
  };
}
