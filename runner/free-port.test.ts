import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { freePorts } from './free-port.js';

it('freePorts hands out distinct ports that can be bound straight away', async () => {
  const ports = await freePorts(64);
  expect(new Set(ports).size).toBe(64);
  const servers = await Promise.all(
    ports.map(
      (p) =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(p, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});
