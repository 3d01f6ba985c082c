// Process entry of the bench's stand-in function (bench/null-function.ts): NULL_ROLE pass or sink;
// a sink counts into REDIS_URL under REDIS_PREFIX.
import { serve } from '../core/http/serve.js';
import { onShutdown } from '../core/http/shutdown.js';
import { createRedisKv } from '../core/kv/redis.js';
import { createLogger } from '../core/log.js';
import { createNullHandler, type NullRole } from './null-function.js';

const role: NullRole = process.env.NULL_ROLE === 'sink' ? 'sink' : 'pass';
const logger = createLogger({ fn: `null-${role}` });
const kv =
  role === 'sink'
    ? await createRedisKv({
        url: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
        prefix: process.env.REDIS_PREFIX ?? '',
        logger,
      })
    : undefined;
const server = await serve(createNullHandler({ role, kv }), {
  port: Number(process.env.PORT || 8080),
  host: '127.0.0.1',
  maxBodyBytes: 64 * 1024 * 1024,
  maxInflight: 64,
  timeoutMs: 30_000,
  logger,
  name: `null-${role}`,
});
onShutdown([() => server.close(), async () => kv?.close()], logger);
