/** The node pool over two fake FreeSWITCH nodes: lookup, readiness, state observation, close. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { isFreectiError } from '../../src/errors.js';
import { createNodePool, type NodePool } from '../../src/esl/node-pool.js';
import type { FsNode, NodeState } from '../../src/esl/types.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';

const logger = createLogger('silent');
let a: FakeFreeSwitch;
let b: FakeFreeSwitch;

function configFor(nodes: { name: string; port: number; password?: string }[]): ReturnType<typeof validateConfig> {
  return validateConfig({
    freeswitch: {
      nodes: nodes.map((n) => ({ name: n.name, host: '127.0.0.1', port: n.port, password: n.password ?? 'ClueCon' })),
      commandTimeoutMs: 1000,
      connectTimeoutMs: 1000,
      reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
    },
  });
}

async function waitFor(test: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

before(async () => {
  [a, b] = await Promise.all([FakeFreeSwitch.start(), FakeFreeSwitch.start()]);
});
after(async () => {
  await Promise.all([a.close(), b.close()]);
});

describe('node pool', () => {
  let pool: NodePool;
  before(() => {
    pool = createNodePool(configFor([{ name: 'fs-a', port: a.port, password: 'wrong' }, { name: 'fs-b', port: b.port }]), logger);
  });
  after(async () => {
    await pool.close();
  });

  it('creates one client per node, in configuration order', async () => {
    assert.deepEqual(pool.nodes.map((n) => n.name), ['fs-a', 'fs-b']);
    await waitFor(() => pool.statuses().every((s) => s.state === 'ready' || s.state === 'auth-failed'), 'both nodes settled');
    assert.deepEqual(pool.statuses().map((s) => [s.name, s.port, s.state]), [['fs-a', a.port, 'auth-failed'], ['fs-b', b.port, 'ready']]);
  });

  it('get() returns the first ready node, get(name) the named one, unknown names throw NODE_UNKNOWN', async () => {
    assert.equal(pool.get().name, 'fs-b');
    assert.equal(pool.get('fs-a').name, 'fs-a');
    assert.throws(() => pool.get('nope'), (e: unknown) => isFreectiError(e, 'NODE_UNKNOWN') && /known: fs-a, fs-b/.test((e as Error).message));
    assert.match(await pool.get().api('status'), /^UP /);
  });

  it('reports state changes of every node; ESL_NOT_CONNECTED when none is ready', async () => {
    const seen: [string, NodeState][] = [];
    const stop = pool.onState((node: FsNode, state) => seen.push([node.name, state]));
    await b.stop();
    await waitFor(() => seen.some(([n, s]) => n === 'fs-b' && s === 'disconnected'), 'fs-b disconnected');
    await waitFor(() => pool.nodes.every((n) => n.status.state !== 'ready'), 'no node ready');
    assert.throws(() => pool.get(), (e: unknown) => isFreectiError(e, 'ESL_NOT_CONNECTED') && /fs-b=/.test((e as Error).message));
    await b.restart();
    await waitFor(() => seen.some(([n, s]) => n === 'fs-b' && s === 'ready'), 'fs-b ready again');
    stop();
    const count = seen.length;
    await b.stop();
    await waitFor(() => pool.get('fs-b').status.state !== 'ready', 'fs-b down');
    await b.restart();
    await waitFor(() => pool.get('fs-b').status.state === 'ready', 'fs-b ready');
    assert.equal(seen.length, count, 'no calls after the listener was removed');
  });

  it('passes events of any node on with the node', async () => {
    await pool.get('fs-b').subscribe(['CHANNEL_ANSWER']);
    const got = new Promise<string>((resolve) => {
      const stop = pool.onEvent((node, event) => {
        if (event.name !== 'CHANNEL_ANSWER') return;
        stop();
        resolve(`${node.name}:${event.uuid ?? ''}`);
      });
    });
    b.emitEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'u7' });
    assert.equal(await got, 'fs-b:u7');
  });
});

describe('node pool configuration', () => {
  it('refuses duplicate node names', () => {
    const config = configFor([{ name: 'same', port: a.port }, { name: 'same', port: b.port }]);
    assert.throws(() => createNodePool(config, logger), (e: unknown) => isFreectiError(e, 'CONFIG_INVALID') && /nodes\[1\]\.name/.test((e as Error).message));
  });

  it('close() closes every node', async () => {
    const pool = createNodePool(configFor([{ name: 'x', port: a.port }]), logger);
    await pool.close();
    assert.deepEqual(pool.statuses().map((s) => s.state), ['closed']);
    await assert.rejects(pool.nodes[0]!.api('status'), (e: unknown) => isFreectiError(e, 'ESL_CLOSED'));
  });
});
