// A deterministic mixed-format corpus (every format the detector knows, with varying values), for the
// bench and tests. Pure.

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const PATHS = ['/api/users', '/api/orders', '/health', '/api/items/42', '/login'];
const USERS = ['alice', 'bob', 'carol', 'dave'];

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `n` lines cycling through the formats; `seed` varies the values. */
export function mixedCorpus(n: number, seed = 1): string[] {
  let s = seed >>> 0;
  const r = (k: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % k;
  };
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = `2026-02-07 ${pad(r(24))}:${pad(r(60))}:${pad(r(60))}`;
    const ip = `10.${r(256)}.${r(256)}.${r(256)}`;
    const m = METHODS[r(4)];
    const p = PATHS[r(5)];
    const st = [200, 200, 201, 404, 500][r(5)];
    const u = USERS[r(4)];
    switch (i % 9) {
      case 0:
        out.push(`${t} - ${m} ${p} - ${st} - ${r(900)}ms`);
        break;
      case 1:
        out.push(
          `${ip} - - [07/Feb/2026:06:${pad(r(60))}:01 +0000] "${m} ${p} HTTP/1.1" ${st} ${r(9000)} "-" "curl/8.1" 0.0${r(99)}`,
        );
        break;
      case 2:
        out.push(
          `<${r(191)}>Feb  7 06:34:${pad(r(60))} host${r(9)} sshd[${r(40000)}]: Accepted password for ${u} from ${ip} port ${r(65535)} ssh2`,
        );
        break;
      case 3:
        out.push(
          `<165>1 2026-02-07T06:34:01.${r(999)}Z web${r(9)} api ${r(9999)} ID47 - request ${r(99999)} served in ${r(500)}ms`,
        );
        break;
      case 4:
        out.push(
          JSON.stringify({
            ts: `${t}Z`,
            level: ['info', 'warn', 'error'][r(3)],
            msg: `cache miss for key user:${r(9999)}`,
            service: 'api',
            latency: r(90),
          }),
        );
        break;
      case 5:
        out.push(
          `ts=${t.replace(' ', 'T')}Z level=info msg="job ${r(999)} done" service=worker duration=${r(900)}ms`,
        );
        break;
      case 6:
        out.push(`${t},${r(999)} - app.db - WARNING - slow query took ${r(5000)} ms on table t${r(9)}`);
        break;
      case 7:
        out.push(
          `${t},${r(999)} ERROR [pool-${r(9)}-thread-${r(9)}] com.example.OrderService - order ${r(99999)} failed: timeout`,
        );
        break;
      default:
        out.push(`worker ${r(64)} finished batch ${r(100000)} with ${r(500)} items for ${u}`);
    }
  }
  return out;
}
