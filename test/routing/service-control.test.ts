/**
 * The whole path through the real service (startService): the recorded dialplan request
 * gets the hand-over to the outbound socket, and the call then connected to that socket
 * is driven by the control-mode route.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.js';
import { FreectiError } from '../../src/errors.js';
import type { FsPool } from '../../src/esl/types.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/service.js';
import { freePort, startRedis } from '../helpers/redis.js';
import { json, startApp } from '../webhook/http-app.js';
import { recordedRequest, sendRaw } from '../xml-curl/harness.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';

const pool: FsPool = {
  nodes: [],
  get() {
    throw new FreectiError('ESL_NOT_CONNECTED');
  },
  statuses: () => [],
  async close() {},
};

test('service: dialplan hand-over, then the outbound session runs the application', async () => {
  const redis = await startRedis();
  const app = await startApp((req, res) =>
    new URL(`http://x${req.url}`).searchParams.get('step') === '1'
      ? json(res, [{ application: 'answer' }, { application: 'playback', data: 'hello.wav' }, { application: 'hangup', data: 'NORMAL_CLEARING' }])
      : json(res, [], 500),
  );
  const [httpPort, eslPort] = [await freePort(), await freePort()];
  const config = validateConfig({
    redis: { url: redis.url, keyPrefix: 'svc:' },
    http: { host: '127.0.0.1', port: httpPort },
    eslOutbound: { host: '127.0.0.1', port: eslPort },
    freeswitch: { nodes: [{ name: 'fs1', host: '127.0.0.1', port: 1, password: 'not-the-default-1' }] },
    routing: { routes: [{ id: 'ivr', context: 'default', mode: 'control', url: `${app.url}/ivr` }] },
    log: { level: 'silent' },
  });
  const service = await startService(config, createLogger('silent'), { createPool: () => pool, stopTimeoutMs: 3000 });
  try {
    let body = '';
    for (let i = 0; i < 200 && !body.includes('socket'); i += 1) {
      body = (await sendRaw(httpPort, recordedRequest('dialplan-call-1000-to-1001').raw)).body;
      if (!body.includes('socket')) await new Promise((r) => setTimeout(r, 25)); // until the route is seeded
    }
    assert.match(body, new RegExp(`<action application="socket" data="127\\.0\\.0\\.1:${eslPort} async full"/>`));
    assert.match(body, /<action application="set" data="freecti_route=ivr"\/>/);
    const fake = await FakeFreeSwitch.start();
    try {
      const call = fake.dial(eslPort, { variables: { freecti_route: 'ivr' } });
      await call.closed;
      assert.deepEqual(call.executed.map((e) => e.app), ['answer', 'playback', 'hangup']);
      assert.equal(call.hangupCause, 'NORMAL_CLEARING');
    } finally {
      await fake.close();
    }
    assert.equal(app.seen.length, 1);
  } finally {
    await service.stop();
    await app.close();
    await redis.stop();
  }
});
