// Web app behind Nginx: sessions browse pages, each page pulls static assets; Nginx combined format
// plus `$request_time` in seconds. Errors and 404s at low base rates.
import { nginxErrorTime, nginxTime } from './clock.js';
import type { SystemModel } from './model.js';
import { cumulative, type Rng } from './rng.js';

interface Page {
  key: string;
  method: string;
  weight: number;
  medianMs: number;
  sigma: number;
  path: (r: Rng) => string;
  status: number;
}

const PAGES: Page[] = [
  { key: '/', method: 'GET', weight: 18, medianMs: 28, sigma: 0.5, path: () => '/', status: 200 },
  {
    key: '/products',
    method: 'GET',
    weight: 14,
    medianMs: 45,
    sigma: 0.55,
    path: (r) => `/products?page=${r.range(1, 12)}`,
    status: 200,
  },
  {
    key: '/products/{id}',
    method: 'GET',
    weight: 24,
    medianMs: 52,
    sigma: 0.5,
    path: (r) => `/products/${r.range(1000, 9999)}`,
    status: 200,
  },
  {
    key: '/search',
    method: 'GET',
    weight: 10,
    medianMs: 85,
    sigma: 0.7,
    path: (r) => `/search?q=${r.pick(TERMS)}`,
    status: 200,
  },
  { key: '/cart', method: 'GET', weight: 8, medianMs: 40, sigma: 0.5, path: () => '/cart', status: 200 },
  {
    key: '/cart/add',
    method: 'POST',
    weight: 5,
    medianMs: 60,
    sigma: 0.5,
    path: () => '/cart/add',
    status: 302,
  },
  {
    key: '/checkout',
    method: 'GET',
    weight: 4,
    medianMs: 120,
    sigma: 0.6,
    path: () => '/checkout',
    status: 200,
  },
  {
    key: '/blog/{slug}',
    method: 'GET',
    weight: 8,
    medianMs: 25,
    sigma: 0.45,
    path: (r) => `/blog/${r.pick(SLUGS)}`,
    status: 200,
  },
  {
    key: '/account',
    method: 'GET',
    weight: 5,
    medianMs: 35,
    sigma: 0.5,
    path: () => '/account',
    status: 200,
  },
  { key: '/login', method: 'POST', weight: 4, medianMs: 90, sigma: 0.4, path: () => '/login', status: 302 },
];
const PAGE_CUM = cumulative(PAGES.map((p) => p.weight));
const TERMS = [
  'shoes',
  'red+dress',
  'laptop',
  'usb-c+cable',
  'coffee',
  'headphones',
  'desk+lamp',
  'backpack',
];
const SLUGS = ['spring-sale', 'how-we-ship', 'new-arrivals', 'care-guide', 'gift-ideas', 'behind-the-scenes'];
const ASSETS = [
  '/static/css/main.4f2a91c.css',
  '/static/js/app.9b1e07d.js',
  '/static/js/vendor.c3d8e55.js',
  '/static/img/logo.svg',
  '/static/img/hero-1200.webp',
  '/static/fonts/inter-var.woff2',
  '/favicon.ico',
];
const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
];
const REFERERS = [
  '-',
  'https://www.google.com/',
  'https://duckduckgo.com/',
  'https://t.co/x7Yq2',
  'https://www.bing.com/',
];
const SCANNERS = [
  'Mozilla/5.0 zgrab/0.x',
  'sqlmap/1.7.2#stable (https://sqlmap.org)',
  'Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)',
  'masscan/1.3 (https://github.com/robertdavidgraham/masscan)',
  'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)',
];
const SCAN_PATHS = [
  '/wp-admin/setup-config.php',
  '/.env',
  '/.git/config',
  '/phpmyadmin/index.php',
  '/cgi-bin/luci',
  '/actuator/env',
  '/server-status',
  '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php',
  '/boaform/admin/formLogin',
  '/HNAP1/',
  '/.aws/credentials',
  '/wp-login.php',
  '/owa/auth/logon.aspx',
  '/solr/admin/info/system',
];
const SITE = 'https://shop.example.com';
/** Concurrent sessions kept; each line continues one, and ~1% of lines start a fresh one. */
const SESSIONS = 300;

interface Session {
  ip: string;
  ua: string;
  user: string;
  pendingAssets: number;
  page: string;
}

export function createWebModel(rng: Rng): SystemModel {
  const newSession = (): Session => ({
    ip: `${rng.range(11, 223)}.${rng.int(256)}.${rng.int(256)}.${rng.range(1, 254)}`,
    ua: rng.pick(BROWSERS),
    user: rng.chance(0.2) ? `user${rng.range(1, 5000)}` : '-',
    pendingAssets: 0,
    page: '',
  });
  const sessions = Array.from({ length: SESSIONS }, newSession);
  const line = (
    ip: string,
    user: string,
    ts: number,
    req: string,
    status: number,
    bytes: number,
    ref: string,
    ua: string,
    ms: number,
  ) =>
    `${ip} - ${user} [${nginxTime(ts)}] "${req} HTTP/1.1" ${status} ${bytes} "${ref}" "${ua}" ${(ms / 1000).toFixed(3)}`;

  const model: SystemModel = {
    spikeTargets: ['/products/{id}', '/search', '/checkout', '/products'],
    spiked: false,
    normal(ts, spikeTarget, spikeFactor) {
      model.spiked = false;
      const i = rng.int(SESSIONS);
      if (rng.chance(0.01)) sessions[i] = newSession();
      const s = sessions[i];
      if (s.pendingAssets > 0) {
        s.pendingAssets--;
        const status = rng.chance(0.3) ? 304 : 200;
        const bytes = status === 304 ? 0 : rng.range(800, 240_000);
        return line(
          s.ip,
          s.user,
          ts,
          `GET ${rng.pick(ASSETS)}`,
          status,
          bytes,
          `${SITE}${s.page}`,
          s.ua,
          rng.latency(2, 0.6),
        );
      }
      const p = PAGES[rng.weighted(PAGE_CUM)];
      const path = p.path(rng);
      const ref = s.page ? `${SITE}${s.page}` : rng.pick(REFERERS);
      let ms = rng.latency(p.medianMs, p.sigma);
      if (spikeTarget === p.key) {
        ms *= spikeFactor * (0.8 + 0.4 * rng.next());
        model.spiked = true;
      }
      let status = p.status;
      const x = rng.next();
      if (x < 0.002)
        status = 500; // base error rate
      else if (x < 0.006 && p.key.includes('{')) status = 404; // stale links
      s.page = path;
      s.pendingAssets = p.method === 'GET' && status === 200 ? rng.range(1, 5) : 0;
      const bytes = status === 302 ? 0 : rng.range(4_000, 90_000);
      return line(s.ip, s.user, ts, `${p.method} ${path}`, status, bytes, ref, s.ua, ms);
    },
    error(ts) {
      const s = sessions[rng.int(SESSIONS)];
      const p = PAGES[rng.weighted(PAGE_CUM)];
      const status = rng.pick([500, 502, 502, 503, 504]);
      const ms = status === 504 ? 60_000 + rng.int(50) : rng.latency(status === 500 ? 80 : 5, 0.5);
      return line(s.ip, s.user, ts, `${p.method} ${p.path(rng)}`, status, rng.range(150, 600), '-', s.ua, ms);
    },
    scan(ts) {
      const ip = `185.220.101.${rng.range(1, 60)}`;
      const status = rng.chance(0.85) ? 404 : rng.pick([403, 400, 405]);
      const method = rng.chance(0.8) ? 'GET' : rng.pick(['POST', 'HEAD', 'PROPFIND']);
      return line(
        ip,
        '-',
        ts,
        `${method} ${rng.pick(SCAN_PATHS)}`,
        status,
        rng.range(150, 600),
        '-',
        rng.pick(SCANNERS),
        rng.latency(1.5, 0.4),
      );
    },
    novel(ts) {
      const pid = rng.range(20, 40);
      const conn = rng.range(100_000, 999_999);
      const ip = `${rng.range(11, 223)}.${rng.int(256)}.${rng.int(256)}.${rng.range(1, 254)}`;
      const t = nginxErrorTime(ts);
      switch (rng.int(3)) {
        case 0:
          return `${t} [crit] ${pid}#${pid}: *${conn} SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking, client: ${ip}, server: 0.0.0.0:443`;
        case 1:
          return `${t} [alert] ${pid}#${pid}: worker process ${rng.range(1000, 9999)} exited on signal 11 (core dumped)`;
        default:
          return `${t} [error] ${pid}#${pid}: *${conn} upstream sent too big header while reading response header from upstream, client: ${ip}, server: shop.example.com`;
      }
    },
  };
  return model;
}
