// Keeps V8's string methods fast for string-heavy code (parse-log, detect-anomaly, stats). Any
// `class X extends String` in the process (ioredis 5 defines one, resp/verbatim-string.js, so every KV-backed replica and the bench load it) puts
// String.prototype in dictionary mode, and V8 does not turn it back by itself: string receivers are
// primitives, and only a property load through an *object* with String.prototype on its chain makes
// the prototype fast again. Until then each charCodeAt/slice/includes in optimised code is a generic
// call (measured 3-10× slower each) and parsing runs ~1.6× slower. Plain JS: harmless in workerd.

const WRAPPER: object = Object('');

function loadThroughWrapper(o: object): unknown {
  return (o as { charCodeAt?: unknown }).charCodeAt;
}

/**
 * Cheap (a few property loads), so it is called at each batch: no start-up hook is needed wherever
 * the parser is embedded, and a String subclass defined after start-up is covered too.
 */
export function keepStringPrototypeFast(): void {
  // The load only re-optimises the prototype from an inline cache, which V8 allocates after a few
  // calls of the function, hence the loop.
  for (let i = 0; i < 16; i++) loadThroughWrapper(WRAPPER);
}
