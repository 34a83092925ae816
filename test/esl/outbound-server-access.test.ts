/**
 * Who may use the outbound ESL server (eslOutbound.allowFrom, eslOutbound.maxSessions), over
 * real TCP on loopback. Linux routes all of 127.0.0.0/8 to lo, so a client bound to
 * 127.0.0.3 is "another host" for an allowFrom of 127.0.0.2/32.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createOutboundServer, type OutboundServerOptions } from '../../src/esl/outbound-server.js';
import { createLogger } from '../../src/logger.js';
import { waitFor } from '../helpers/wait.js';

const T = { timeout: 10_000 };
type LogLine = Record<string, unknown> & { msg?: string; level?: number };

async function startServer(overrides: Partial<OutboundServerOptions> = {}) {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.length > 0) lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  const server = createOutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 5_000, connectTimeoutMs: 5_000, logger: createLogger('debug', stream), ...overrides });
  const { port } = await server.listen();
  let sessions = 0;
  server.on('session', (session) => {
    sessions++;
    session.claim('test');
  });
  const refusals = (): LogLine[] => lines.filter((l) => l.level === 40 && String(l.msg).startsWith('outbound connection refused'));
  return { server, port, lines, refusals, sessions: () => sessions };
}

/** A raw TCP peer that records every byte it gets and when the connection ends. */
function peer(port: number, options: { host?: string; localAddress?: string } = {}) {
  const socket: Socket = connect({ port, host: options.host ?? '127.0.0.1', ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) });
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, closed, text: () => Buffer.concat(received).toString('latin1') };
}

describe('eslOutbound.allowFrom', () => {
  it('a peer outside allowFrom gets not one byte, is closed at once, and one warn line names its address', T, async () => {
    const { server, port, refusals, sessions } = await startServer({ allowFrom: ['127.0.0.2/32'] });
    try {
      const p = peer(port);
      await once(p.socket, 'connect');
      // What a forged FreeSWITCH would send; it must be read by no one.
      p.socket.write('Content-Type: command/reply\nReply-Text: +OK\nvariable_cti_bridge: http://169.254.169.254/latest 3000 3000 1\n\n');
      await p.closed;
      assert.equal(p.text(), '');
      await waitFor(() => refusals().length === 1);
      const [line] = refusals();
      assert.match(String(line?.msg), /^outbound connection refused: peer address 127\.0\.0\.1 is not in eslOutbound\.allowFrom$/);
      assert.match(String(line?.['remote']), /^127\.0\.0\.1:\d+$/);
      assert.equal(line?.['allowFrom'], '127.0.0.2/32');
      assert.deepEqual([server.activeSessions, server.pendingConnections, sessions()], [0, 0, 0]);
    } finally {
      await server.close();
    }
  });

  it('a peer inside allowFrom gets `connect`; another loopback address does not', T, async () => {
    const { server, port, refusals } = await startServer({ allowFrom: ['127.0.0.3/32', '10.0.0.0/8'] });
    try {
      const allowed = peer(port, { localAddress: '127.0.0.3' });
      await waitFor(() => allowed.text() === 'connect\n\n');
      const refused = peer(port, { localAddress: '127.0.0.4' });
      await refused.closed;
      assert.equal(refused.text(), '');
      assert.match(String(refusals()[0]?.msg), /peer address 127\.0\.0\.4 is not/);
      allowed.socket.destroy();
      await allowed.closed;
    } finally {
      await server.close();
    }
  });

  it('IPv4-mapped IPv6 peers of a dual-stack listener are checked as IPv4', T, async () => {
    const { server, port, refusals } = await startServer({ host: '::', allowFrom: ['127.0.0.3/32'] });
    try {
      const allowed = peer(port, { localAddress: '127.0.0.3' });
      await waitFor(() => allowed.text() === 'connect\n\n');
      const refused = peer(port);
      await refused.closed;
      assert.equal(refused.text(), '');
      assert.match(String(refusals()[0]?.msg), /peer address ::ffff:127\.0\.0\.1 is not/);
      allowed.socket.destroy();
      await allowed.closed;
    } finally {
      await server.close();
    }
  });

  it('without allowFrom the server is loopback-only (IPv4 and IPv6)', T, async () => {
    const { server, port } = await startServer({ host: '::' });
    try {
      const v4 = peer(port, { localAddress: '127.0.0.9' });
      const v6 = peer(port, { host: '::1' });
      await waitFor(() => v4.text() === 'connect\n\n' && v6.text() === 'connect\n\n');
      v4.socket.destroy();
      v6.socket.destroy();
      await Promise.all([v4.closed, v6.closed]);
    } finally {
      await server.close();
    }
  });

  it('a list that does not parse refuses to build the server', () => {
    assert.throws(() => createOutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 1000, connectTimeoutMs: 1000, allowFrom: ['nonsense'], logger: createLogger('silent') }));
  });
});

describe('eslOutbound.maxSessions', () => {
  it('counts pending connections; one over the limit is closed at once, with a log line; a freed slot is usable again', T, async () => {
    const { server, port, refusals } = await startServer({ maxSessions: 2 });
    try {
      const first = peer(port);
      const second = peer(port);
      await waitFor(() => first.text() === 'connect\n\n' && second.text() === 'connect\n\n');
      assert.equal(server.pendingConnections, 2);
      const third = peer(port);
      await third.closed;
      assert.equal(third.text(), '');
      await waitFor(() => refusals().length === 1);
      assert.match(String(refusals()[0]?.msg), /^outbound connection refused: 2 sessions and pending connections already open \(eslOutbound\.maxSessions 2\)$/);
      first.socket.destroy();
      await first.closed;
      await waitFor(() => server.pendingConnections === 1);
      const fourth = peer(port);
      await waitFor(() => fourth.text() === 'connect\n\n');
      second.socket.destroy();
      fourth.socket.destroy();
      await Promise.all([second.closed, fourth.closed]);
    } finally {
      await server.close();
    }
  });
});
