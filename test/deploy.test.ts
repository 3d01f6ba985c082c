// Keeps docker-compose.yml, the Dockerfile and stack.yml honest without Docker: validates the compose
// file with docker-compose 1.29 offline, checks every service against the code (build args, entry
// bundles, env names the code reads, ports, secrets), and starts each component exactly as its
// container would (same bundle, same command, same env, hostnames pointed at the local services).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dropNamespace } from '../runner/drop-namespace.js';
import { freePort } from '../runner/free-port.js';
import { waitForHttp } from '../runner/wait.js';
import { amqpUrl, redisUrl } from './services.js';

type Service = {
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  image?: string;
  environment?: Record<string, string>;
  ports?: (string | { target: number; published: number; protocol?: string })[];
  depends_on?: Record<string, { condition: string }>;
};

function hasDockerCompose(): boolean {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const compose = hasDockerCompose();
const stack = parse(readFileSync('stack.yml', 'utf8')) as {
  provider: { name: string; gateway: string };
  functions: Record<string, Record<string, unknown>>;
};
const resolved = (
  compose
    ? parse(execFileSync('docker-compose', ['config'], { encoding: 'utf8' }))
    : parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true })
) as { services: Record<string, Service> };
const services = resolved.services;
const dockerfile = readFileSync('Dockerfile', 'utf8');
/** The image's CMD (exec form), run here as the container would run it. */
const CMD = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]') as string[];

/** The bundle a service runs, as the Dockerfile computes it from its build args. */
function entryOf(s: Service): string | undefined {
  const args = s.build?.args ?? {};
  if (args.ENTRY) return args.ENTRY;
  if (args.FUNCTION) return `functions/${args.FUNCTION}`;
  return undefined;
}
/** Services built from the project's Dockerfile (Alertmanager is built from its own, in deploy/). */
const ourServices = Object.entries(services).filter(([name, s]) => s.build && name !== 'alertmanager');

describe('docker-compose.yml', () => {
  it.skipIf(!compose && process.env.CI !== 'true')('is valid for docker-compose (config -q)', () => {
    execFileSync('docker-compose', ['config', '-q'], { stdio: 'pipe' });
  });

  it('has a service per stack.yml function, built from the Dockerfile with that FUNCTION', () => {
    for (const name of Object.keys(stack.functions)) {
      const s = services[name];
      expect(s, `service ${name}`).toBeDefined();
      expect(s.build?.args?.FUNCTION).toBe(name);
      expect(existsSync(join(s.build?.context ?? '.', s.build?.dockerfile ?? 'Dockerfile'))).toBe(true);
    }
    for (const extra of [
      'gateway',
      'connector',
      'syslog-connector',
      'dashboard',
      'rabbitmq',
      'redis',
      'alertmanager',
    ])
      expect(services[extra]).toBeDefined();
  });

  it('runs bundles that the build produces, with the command the Dockerfile gives', () => {
    expect(dockerfile).toMatch(/ARG ENTRY=functions\/\$\{FUNCTION\}/);
    expect(CMD.join(' ')).toMatch(/^sh -c exec node (--[a-z-]+(=\S+)? )*dist\/\$\{LOGFAAS_ENTRY\}\.mjs$/);
    const build = readFileSync('build.mjs', 'utf8');
    for (const [name, s] of ourServices) {
      const entry = entryOf(s);
      expect(entry, name).toBeDefined();
      expect(build, `build.mjs builds ${entry}`).toMatch(new RegExp(`['"]?${entry}['"]?\\s*:`));
      expect(existsSync(`dist/${entry}.mjs`), `dist/${entry}.mjs`).toBe(true);
    }
  });

  it('sets only env variables that the component reads', () => {
    for (const [name, s] of ourServices) {
      const bundle = readFileSync(`dist/${entryOf(s)}.mjs`, 'utf8');
      for (const key of Object.keys(s.environment ?? {})) {
        expect(bundle.includes(`'${key}'`) || bundle.includes(`"${key}"`), `${name} reads ${key}`).toBe(true);
      }
    }
  });

  it('publishes the gateway on 8080, the dashboard on 5000, RabbitMQ management on 15672', () => {
    const published = (s: Service) =>
      (s.ports ?? []).map((p) =>
        typeof p === 'string'
          ? p.replace(/\/tcp$/, '')
          : `${p.published}:${p.target}${p.protocol && p.protocol !== 'tcp' ? `/${p.protocol}` : ''}`,
      );
    expect(published(services.gateway)).toContain('8080:8080');
    expect(published(services.dashboard)).toContain('5000:5000');
    expect(published(services.rabbitmq)).toContain('15672:15672');
    expect(published(services['syslog-connector'])).toEqual(['5140:5140/udp', '5140:5140']);
  });

  it('keeps credentials out of images and env: passwords come from secret files', () => {
    expect(dockerfile).not.toMatch(/^\s*(ENV|ARG)\b.*(PASSWORD|SECRET|guest)/im);
    for (const [, s] of Object.entries(services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        expect(k).not.toMatch(/PASSWORD/);
        expect(String(v)).not.toMatch(/:\/\/[^/@]*:[^/@]*@/); // no user:password@ in URLs
      }
    }
  });

  it('gates start order on health', () => {
    expect(services['parse-log'].depends_on?.redis?.condition).toBe('service_healthy');
    expect(services['parse-log'].depends_on?.rabbitmq?.condition).toBe('service_healthy');
    expect(services.connector.depends_on?.gateway?.condition).toBe('service_healthy');
    expect(services['syslog-connector'].depends_on?.gateway?.condition).toBe('service_healthy');
  });
});

describe('stack.yml', () => {
  // Batch size sets most of the pipeline's CPU per line (docs/producer.md): deployments keep the
  // measured default rather than an override left from an earlier tuning.
  it('and docker-compose.yml run the producer with its default batch size', () => {
    expect((stack.functions.producer.environment as Record<string, string>).BATCH_LINES).toBeUndefined();
    expect(services.producer.environment?.BATCH_LINES).toBeUndefined();
  });

  it('is a valid faas-cli stack: provider, and lang/handler/image per function, string maps', () => {
    expect(stack.provider.name).toBe('openfaas');
    for (const [name, f] of Object.entries(stack.functions)) {
      expect(typeof f.image, name).toBe('string');
      expect(f.lang).toBe('dockerfile');
      expect(existsSync(join(String(f.handler), 'Dockerfile'))).toBe(true);
      expect((f.build_args as Record<string, string>).FUNCTION).toBe(name);
      for (const key of ['environment', 'labels', 'annotations', 'build_args']) {
        for (const [k, v] of Object.entries((f[key] as Record<string, unknown>) ?? {})) {
          expect(typeof v, `${name}.${key}.${k} must be a string`).toBe('string');
        }
      }
      for (const secret of (f.secrets as string[]) ?? []) {
        expect(['redis-password', 'rabbitmq-password', 'basic-auth-password']).toContain(secret);
      }
    }
  });

  it('sets only env variables that the function reads', () => {
    for (const [name, f] of Object.entries(stack.functions)) {
      const bundle = readFileSync(`dist/functions/${name}.mjs`, 'utf8');
      for (const key of Object.keys((f.environment as Record<string, string>) ?? {})) {
        expect(bundle.includes(`'${key}'`) || bundle.includes(`"${key}"`), `${name} reads ${key}`).toBe(true);
      }
    }
  });

  it('chains the topics producer -> parse-log -> detect-anomaly -> notify', () => {
    const a = (n: string) => stack.functions[n].annotations as Record<string, string>;
    expect(a('parse-log').topic).toBe('logs.raw');
    expect(a('detect-anomaly').topic).toBe(a('parse-log')['output-topic']);
    expect(a('detect-anomaly')['output-topic']).toBe('logs.anomalies');
    expect(a('notify').topic).toBe(a('detect-anomaly')['side-output-topic']);
    expect(a('producer').schedule).toBeTruthy();
  });
});

describe('each container command, run here as a process', () => {
  const procs: ChildProcess[] = [];
  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    // Best effort: without the services the container tests fail on their own.
    await dropNamespace({ redisUrl: redisUrl(), amqpUrl: amqpUrl(), ns: `deploytest-${process.pid}` }).catch(
      () => {},
    );
  });

  const secrets = mkdtempSync(join(tmpdir(), 'logfaas-secrets-'));
  writeFileSync(join(secrets, 'basic-auth-password'), 'test-admin-password');
  const amqp = new URL(amqpUrl());
  writeFileSync(join(secrets, 'rabbitmq-password'), decodeURIComponent(amqp.password || 'guest'));
  const redis = new URL(redisUrl());

  /** The compose env with service hostnames pointed at this machine's services. */
  function localEnv(s: Service, port: number, gatewayPort: number): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.environment ?? {})) {
      env[k] = String(v)
        .replace('redis://redis:6379', `redis://${redis.host}`)
        .replace(/amqp:\/\/[^@]*@rabbitmq:5672/, `amqp://${amqp.username || 'guest'}@${amqp.host}`)
        .replace('http://gateway:8080', `http://127.0.0.1:${gatewayPort}`)
        // The image's WORKDIR is /app; here the checkout is.
        .replace(/^\/app\//, `${process.cwd()}/`);
    }
    return {
      ...env,
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOGFAAS_ENTRY: entryOf(s) ?? '',
      PORT: String(port),
      GATEWAY_PORT: env.GATEWAY_PORT ? String(port) : '',
      // Any free port: 5140 may be taken on a shared machine.
      ...(env.SYSLOG_PORT ? { SYSLOG_PORT: '0', SYSLOG_HOST: '127.0.0.1' } : {}),
      SECRETS_DIR: secrets,
      REDIS_PREFIX: `deploytest-${process.pid}:`,
      BROKER_NAMESPACE: `deploytest-${process.pid}`,
    };
  }

  it.each([
    'producer',
    'parse-log',
    'detect-anomaly',
    'stats',
    'notify',
    'gateway',
    'dashboard',
    'syslog-connector',
  ])(
    '%s starts from its bundle with its compose env, answers /_/health, and stops on SIGTERM',
    async (name) => {
      const port = await freePort();
      const s = services[name];
      const p = spawn(CMD[0], CMD.slice(1), {
        env: localEnv(s, port, 1),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      procs.push(p);
      let out = '';
      p.stdout?.on('data', (c) => (out += c));
      p.stderr?.on('data', (c) => (out += c));
      try {
        await waitForHttp(`http://127.0.0.1:${port}/_/health`, 15_000);
      } catch (e) {
        throw new Error(`${name} did not come up: ${String(e)}\n${out}`);
      }
      const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
      p.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).not.toContain('test-admin-password');
    },
  );
});
