// Reads an OpenFaaS stack.yml into the function specs the gateway serves and the connector subscribes by.
import { parse } from 'yaml';

export interface FunctionSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  environment: Record<string, string>;
  secrets: string[];
}

/** Pure: stack.yml text -> function specs. Throws with a clear message on a malformed file. */
export function parseStack(
  text: string,
  env: Readonly<Record<string, string | undefined>> = {},
): FunctionSpec[] {
  const doc = parse(text) as { functions?: Record<string, Record<string, unknown>> } | null;
  if (!doc || typeof doc !== 'object' || !doc.functions || typeof doc.functions !== 'object') {
    throw new Error('stack.yml has no `functions` section');
  }
  return Object.entries(doc.functions).map(([name, f]) => ({
    name,
    image: substitute(String(f.image ?? name), env),
    labels: stringMap(f.labels),
    annotations: stringMap(f.annotations),
    environment: stringMap(f.environment),
    secrets: Array.isArray(f.secrets) ? f.secrets.map(String) : [],
  }));
}

function stringMap(x: unknown): Record<string, string> {
  if (!x || typeof x !== 'object') return {};
  return Object.fromEntries(Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** faas-cli's `${VAR:-default}` substitution in image names. */
function substitute(s: string, env: Readonly<Record<string, string | undefined>>): string {
  return s.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, k: string, def?: string) => env[k] || def || '');
}
