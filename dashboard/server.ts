// Serves the dashboard's static files with a strict CSP, and proxies GET /function/stats (and the mutes:
// GET, POST, DELETE /function/stats/mutes, whose writes stats authenticates; and GET /function/search,
// which authenticates every call) to the gateway so the page reaches them same-origin (on :5000, and
// mounted under the gateway at /ui/ with the prefix stripped).
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';

export interface DashboardOptions {
  /** Directory with index.html, style.css, app.js (dist/dashboard after `node build.mjs`). */
  assetsDir: string;
  /** Base URL of the OpenFaaS gateway, e.g. http://127.0.0.1:8080. */
  gatewayUrl: string;
  fetch?: typeof fetch;
  /** How long the proxied stats call may take (default 10 s). */
  upstreamTimeoutMs?: number;
}

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

/** Flat asset names only: no slashes, no dot-files, so no path can leave assetsDir. */
const ASSET_NAME = /^[\w-][\w.-]*$/;
/** Proxied request headers; cookies and everything else stay behind. */
const FORWARDED = ['accept', 'authorization', 'content-type'];
const MUTES_PATH = '/function/stats/mutes';

/** Builds the dashboard Web handler. */
export function createDashboardHandler(opts: DashboardOptions): (req: Request) => Promise<Response> {
  const dir = resolve(opts.assetsDir);
  const doFetch = opts.fetch ?? fetch;
  const gateway = opts.gatewayUrl.replace(/\/+$/, '');
  return async (req) => {
    const url = new URL(req.url);
    if (url.pathname === MUTES_PATH) {
      if (!['GET', 'HEAD', 'POST', 'DELETE'].includes(req.method))
        return text(405, 'method not allowed', { allow: 'GET, HEAD, POST, DELETE' });
      return proxyStats(req, `${gateway}${MUTES_PATH}${url.search}`);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return text(405, 'method not allowed', { allow: 'GET, HEAD' });
    }
    if (url.pathname === '/function/stats') return proxyStats(req, `${gateway}/function/stats${url.search}`);
    if (url.pathname === '/function/search')
      return proxyStats(req, `${gateway}/function/search${url.search}`);
    const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    if (!ASSET_NAME.test(name) || !(extname(name) in TYPES)) return text(404, 'not found');
    let body: Buffer;
    try {
      body = await readFile(join(dir, name));
    } catch {
      return text(404, 'not found');
    }
    return new Response(req.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: {
        ...SECURITY_HEADERS,
        'content-type': TYPES[extname(name)],
        // Revalidate every time: the files are tiny and a stale app.js after a deploy is worse.
        'cache-control': 'no-cache',
      },
    });
  };

  async function proxyStats(req: Request, target: string): Promise<Response> {
    const headers = new Headers();
    for (const h of FORWARDED) {
      const v = req.headers.get(h);
      if (v) headers.set(h, v);
    }
    try {
      const withBody = req.method === 'POST';
      const up = await doFetch(target, {
        method: req.method,
        headers,
        body: withBody ? await req.arrayBuffer() : undefined,
        signal: AbortSignal.any([req.signal, AbortSignal.timeout(opts.upstreamTimeoutMs ?? 10_000)]),
      });
      const body = req.method === 'HEAD' ? null : await up.arrayBuffer();
      return new Response(body, {
        status: up.status,
        headers: {
          ...SECURITY_HEADERS,
          'content-type': up.headers.get('content-type') ?? 'application/json; charset=utf-8',
          'cache-control': 'no-store',
        },
      });
    } catch (e) {
      const body = {
        error: `gateway unreachable: ${e instanceof Error ? e.message : String(e)}`,
        code: 'bad_gateway',
        status: 502,
      };
      return new Response(JSON.stringify(body), {
        status: 502,
        headers: {
          ...SECURITY_HEADERS,
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
        },
      });
    }
  }
}

function text(status: number, msg: string, extra: Record<string, string> = {}): Response {
  return new Response(msg, {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...extra },
  });
}
