// The default source of an input, the same in `send`, `analyze` and `parse`: the file's name without
// log extensions (`nginx-access.log.1` -> `nginx-access`), with its folder in front when the name alone
// does not say which program wrote it, so nginx's and MySQL's error.log do not merge into one `error`.
import { basename, dirname, resolve } from 'node:path';

/** Names many programs give their logs; such a file is named after its folder too. */
const GENERIC = new Set([
  'access',
  'audit',
  'console',
  'current',
  'debug',
  'error',
  'errors',
  'events',
  'info',
  'log',
  'messages',
  'out',
  'output',
  'stderr',
  'stdout',
  'syslog',
  'trace',
  'warn',
  'warning',
]);

/** Folders that say no more than the file name: `/var/log/syslog` stays `syslog`. */
const GENERIC_DIRS = new Set(['', '.', 'log', 'logs', 'var', 'tmp', 'data', 'home', 'root', 'srv', 'opt']);

const LOG_SUFFIX = /(\.(log|txt|json|ndjson|out|err|gz|\d+))+$/i;

/** `/var/log/nginx/error.log` -> `nginx-error`, `app.log` -> `app`, `/var/log/syslog` -> `syslog`; stdin `stdin`. */
export function sourceFromPath(file: string, cwd = process.cwd()): string {
  if (file === '-') return 'stdin';
  const abs = resolve(cwd, file);
  const name = basename(abs).replace(LOG_SUFFIX, '');
  if (!GENERIC.has(name.toLowerCase())) return clean(name);
  // The nearest folder that says something (/srv/shop/logs/error.log -> shop), two levels up at most.
  let dir = dirname(abs);
  for (let up = 0; up < 2; up++, dir = dirname(dir)) {
    const folder = basename(dir);
    if (!GENERIC_DIRS.has(folder.toLowerCase())) return clean(`${folder}-${name}`);
  }
  return clean(name);
}

/** To the producer's source syntax `[A-Za-z0-9][A-Za-z0-9._:-]{0,63}`. */
function clean(s: string): string {
  const out = s
    .replace(/[^A-Za-z0-9._:-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return out || 'default';
}
