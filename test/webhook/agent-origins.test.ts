/**
 * The webhook client keeps nothing per origin or per timeout: it calls through one
 * undici Agent, whose pool for an origin goes away once that origin's connections are
 * idle and closed. 1,000 distinct origins leave no pool behind; requests with different
 * timeouts to one origin share one pool, and each keeps its own connect timeout.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isFreectiError } from '../../src/errors.js';
import { agentOrigins, createWebhookAgent, createWebhookClient } from '../../src/webhook/index.js';
import { waitFor } from '../helpers/wait.js';

const ORIGINS = 1000;

describe('one webhook Agent: no pool outlives its connections', () => {
  const servers: Server[] = [];
  const urls: string[] = [];

  before(async () => {
    for (let i = 0; i < ORIGINS; i++) {
      const server = createServer((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end('{"ok":true}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    }
  });
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  test('1,000 distinct origins: every pool is gone once the applications closed their idle connections', async () => {
    const agent = createWebhookAgent({ idleMs: 60_000 });
    const client = createWebhookClient({ dispatcher: agent });
    try {
      for (let start = 0; start < ORIGINS; start += 100) {
        const batch = urls.slice(start, start + 100);
        const replies = await Promise.all(batch.map((url) => client.requestJson({ url, json: { n: start } })));
        for (const reply of replies) assert.deepEqual(reply.data, { ok: true });
      }
      const peak = agentOrigins(agent);
      assert.ok(peak > 0 && peak <= ORIGINS, `${peak} pools while connections are open`);
      // The applications close their idle connections: the agent drops those origins.
      for (const server of servers) server.closeIdleConnections();
      await waitFor(() => agentOrigins(agent) === 0);
    } finally {
      await client.close();
      await agent.close();
    }
  });

  test('the client idle timeout alone empties the agent; timeouts per request share one pool per origin', async () => {
    const agent = createWebhookAgent({ idleMs: 100 });
    const client = createWebhookClient({ dispatcher: agent });
    try {
      const url = urls[0] as string;
      await Promise.all([
        client.request({ url, connectTimeoutMs: 100, responseTimeoutMs: 1000 }),
        client.request({ url, connectTimeoutMs: 200, responseTimeoutMs: 2000 }),
        client.request({ url, connectTimeoutMs: 300, responseTimeoutMs: 3000 }),
      ]);
      for (const other of urls.slice(1, 50)) await client.request({ url: other });
      assert.ok(agentOrigins(agent) <= 50, 'one pool per origin, not per timeout');
      await waitFor(() => agentOrigins(agent) === 0);
    } finally {
      await client.close();
      await agent.close();
    }
  });

  test('the connect timeout is per request: no socket in time (the only connection is busy) is a connect timeout', async () => {
    const hanging = createServer(() => undefined);
    await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hang`;
    const agent = createWebhookAgent({ connectionsPerOrigin: 1 });
    const client = createWebhookClient({ dispatcher: agent });
    try {
      const first = client.request({ url, connectTimeoutMs: 5000, responseTimeoutMs: 5000 }).catch((error: unknown) => error);
      await waitFor(() => agentOrigins(agent) === 1);
      const second = await client.request({ url, connectTimeoutMs: 100, responseTimeoutMs: 5000 }).catch((error: unknown) => error);
      assert.ok(isFreectiError(second, 'WEBHOOK_TIMEOUT'), String(second));
      assert.equal(second.details?.['reason'], 'connect timeout');
      hanging.closeAllConnections();
      assert.ok(isFreectiError(await first), 'the first one fails when its connection goes');
    } finally {
      await client.close();
      await agent.close();
      hanging.close();
    }
  });

  test('a client without an agent builds its own and closes it', async () => {
    const client = createWebhookClient({ idleMs: 100 });
    const reply = await client.requestJson({ url: urls[1] as string });
    assert.deepEqual(reply.data, { ok: true });
    await client.close();
    await assert.rejects(client.request({ url: urls[1] as string }), /client closed/);
  });
});
