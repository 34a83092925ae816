import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../src/config/load.js';
import type { HealthReport } from '../src/http/routes/health.js';
import { createLogger } from '../src/logger.js';
import { startService } from '../src/service.js';
import { freePort } from './helpers/redis.js';

const root = join(import.meta.dirname, '..');
const rejections: unknown[] = [];
const onRejection = (reason: unknown): void => {
  rejections.push(reason);
};

before(() => process.on('unhandledRejection', onRejection));
after(() => {
  process.off('unhandledRejection', onRejection);
  assert.deepEqual(rejections, [], 'no unhandled promise rejection');
});

function capture(): { logger: ReturnType<typeof createLogger>; lines: () => { level: number; msg: string; [k: string]: unknown }[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    logger: createLogger('info', sink),
    lines: () => chunks.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { level: number; msg: string }),
  };
}

async function until<T>(probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('starts with Redis and FreeSWITCH down, /health over HTTP shows both, stop() is clean', async (t) => {
  const [redisPort, eslPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const config = loadConfig({
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    FREECTI_FS: `fs1=NotTheDefault@127.0.0.1:${eslPort}`,
    FREECTI_HTTP: `127.0.0.1:${httpPort}`,
    FREECTI_ESL_OUTBOUND: `127.0.0.1:${await freePort()}`,
  });
  const { logger, lines } = capture();
  const service = await startService(config, logger);
  assert.equal(service.url, `http://127.0.0.1:${httpPort}`);

  const body = await until(async () => {
    const res = await fetch(`${service.url}/health`);
    assert.equal(res.status, 503);
    const report = (await res.json()) as HealthReport;
    return report.redis.lastError !== null && (report.freeswitch.nodes[0]?.lastError ?? null) !== null ? report : undefined;
  });
  assert.equal(body.status, 'degraded');
  assert.equal(body.ready, false);
  assert.equal(body.redis.state, 'down');
  assert.match(body.redis.lastError ?? '', /ECONNREFUSED/);
  assert.equal(body.freeswitch.total, 1);
  assert.equal(body.freeswitch.ready, 0);
  assert.equal(body.freeswitch.nodes[0]?.name, 'fs1');
  assert.notEqual(body.freeswitch.nodes[0]?.state, 'ready');
  assert.ok(!JSON.stringify(body).includes('NotTheDefault'), 'no password in /health');

  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  assert.match(metrics, /^freecti_esl_node_up\{node="fs1"\} 0$/m);
  assert.match(metrics, /^freecti_redis_up 0$/m);

  const messages = lines().map((l) => l.msg);
  assert.ok(messages.some((m) => m.startsWith('freecti listening')), 'logs where it listens');
  assert.ok(messages.some((m) => m.startsWith('redis unavailable')), 'logs that Redis is down');

  // From here timers are mocks. Once ioredis has scheduled its next reconnection (on the
  // mock clock), a reconnection stop() fails to cancel could only fire on the tick below,
  // so it is caught for sure, without waiting real time.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  // (not events.once: it rejects on the 'error' ioredis emits for every refused attempt)
  await new Promise((resolve) => service.redis.once('reconnecting', resolve));
  const stopping = service.stop();
  assert.equal(service.stop(), stopping, 'stop() twice is the same shutdown');
  await stopping;
  await assert.rejects(fetch(`${service.url}/health`), 'the port is closed after stop()');
  assert.ok(service.pool.statuses().every((s) => s.state === 'closed'));
  // ioredis stays 'reconnecting' when stopped between two attempts; what matters is
  // that it never tries again.
  let attempts = 0;
  service.redis.on('connecting', () => attempts++);
  t.mock.timers.tick(10 * 60_000);
  await new Promise((r) => setImmediate(r));
  t.mock.timers.reset();
  assert.equal(attempts, 0, 'Redis does not reconnect after stop()');
  assert.ok(['end', 'reconnecting', 'close'].includes(service.redis.status), service.redis.status);
});

test('a busy HTTP port fails the start with a clear message; a busy outbound port does not', async () => {
  const busy: Server = createServer();
  busy.listen(0, '127.0.0.1');
  await once(busy, 'listening');
  const address = busy.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  try {
    const base = { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, FREECTI_FS: `pw@127.0.0.1:${await freePort()}` };
    const httpBusy = loadConfig({ ...base, FREECTI_HTTP: `127.0.0.1:${port}`, FREECTI_ESL_OUTBOUND: `127.0.0.1:${await freePort()}` });
    await assert.rejects(startService(httpBusy, createLogger('silent')), { message: `cannot listen on 127.0.0.1:${port} (EADDRINUSE)` });
    const httpPort = await freePort();
    const outboundBusy = loadConfig({ ...base, FREECTI_HTTP: `127.0.0.1:${httpPort}`, FREECTI_ESL_OUTBOUND: `127.0.0.1:${port}` });
    // A busy outbound-socket port is logged; the service runs without it (src/bridge/outbound-wiring.ts).
    const service = await startService(outboundBusy, createLogger('silent'));
    assert.equal((await fetch(`http://127.0.0.1:${httpPort}/health`)).status, 503);
    await service.stop();
  } finally {
    busy.close();
  }
});

test('the real `freecti` command starts, serves /health, and exits 0 on SIGTERM', async () => {
  const httpPort = await freePort();
  const child = spawn(process.execPath, [join(root, 'bin/freecti.js'), 'start'], {
    cwd: root,
    env: {
      PATH: process.env['PATH'] ?? '',
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      FREECTI_FS: `fs1=pw@127.0.0.1:${await freePort()}`,
      FREECTI_HTTP: `127.0.0.1:${httpPort}`,
      FREECTI_ESL_OUTBOUND: `127.0.0.1:${await freePort()}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    const status = await until(async () => {
      try {
        return (await fetch(`http://127.0.0.1:${httpPort}/health`)).status;
      } catch {
        return undefined;
      }
    }, 20_000);
    assert.equal(status, 503);
    child.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    assert.match(stdout, /"msg":"freecti stopped"/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
