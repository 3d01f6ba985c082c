// Where a function's replicas listen, for whoever calls them without a hop in between: the gateway, and a
// connector invoking directly (OpenFaaS queue-worker's gateway_invoke=false). faasd-style: a template
// (`http://{name}:8080`, a compose service per function) with per-function overrides.
import type { EnvReader } from './env.js';

export interface FunctionAddresses {
  /** Where function {name} listens when it has no override. */
  template: string;
  /** Per-function overrides: name -> replica URLs (`name=url1|url2`). */
  urls: Record<string, string[]>;
}

export const DEFAULT_FUNCTION_URL_TEMPLATE = 'http://{name}:8080';

/** FUNCTION_URL_TEMPLATE and FUNCTION_URLS (`name=url,other=url1|url2`). */
export function readFunctionAddresses(r: EnvReader): FunctionAddresses {
  const urls: Record<string, string[]> = {};
  for (const pair of r.str('FUNCTION_URLS', '').split(',').filter(Boolean)) {
    const i = pair.indexOf('=');
    const list = pair
      .slice(i + 1)
      .split('|')
      .map((u) => u.trim().replace(/\/+$/, ''))
      .filter(Boolean);
    if (i < 1 || list.length === 0)
      r.problem(`FUNCTION_URLS entry ${JSON.stringify(pair)} must be name=url or name=url1|url2`);
    else urls[pair.slice(0, i).trim()] = list;
  }
  const template = r.str('FUNCTION_URL_TEMPLATE', DEFAULT_FUNCTION_URL_TEMPLATE).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(template))
    r.problem(
      `FUNCTION_URL_TEMPLATE=${JSON.stringify(template)} must be an http(s) URL such as ${DEFAULT_FUNCTION_URL_TEMPLATE}`,
    );
  return { template, urls };
}

/** The replica URLs of a function (no trailing slash). */
export function replicaUrls(a: FunctionAddresses, name: string): string[] {
  return a.urls[name] ?? [a.template.replaceAll('{name}', name)];
}

/**
 * Round-robin over a function's replicas: each call gets all of them, starting one further on, so a
 * caller can fail over to the rest when one refuses the connection.
 */
export function roundRobin<K extends object | string>(): (key: K, urls: string[]) => string[] {
  const cursor = new Map<K, number>();
  return (key, urls) => {
    if (urls.length === 1) return urls;
    const start = (cursor.get(key) ?? 0) % urls.length;
    cursor.set(key, start + 1);
    return urls.map((_, i) => urls[(start + i) % urls.length]);
  };
}
