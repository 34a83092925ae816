/**
 * The world around the service in `npm run bench:soak`, in a child process of its own so
 * that its memory and handles are not counted as the service's: a real redis-server
 * behind a delaying TCP proxy (slow Redis), the fake FreeSWITCH (calls, registrations,
 * restarts, dropped events) and the business applications the webhooks call (one HTTP
 * server per origin). Driven over IPC by bench/soak.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeFreeSwitch } from '../../test/fake-freeswitch/index.js';
import { startRedis } from '../../test/helpers/redis.js';
import { TcpProxy } from '../../test/helpers/tcp-proxy.js';

export type WorldCommand =
  | { op: 'calls'; from: number; count: number; dropHangupEvery: number }
  | { op: 'delay'; ms: number }
  | { op: 'stop' }
  | { op: 'restart' }
  | { op: 'expected' }
  | { op: 'close' };

export interface WorldReady {
  op: 'ready';
  fsPort: number;
  redisPort: number;
  proxyPort: number;
  appUrls: string[];
}

export interface WorldExpected {
  op: 'expected';
  /** Extensions FreeSWITCH lists in `show registrations`. */
  registered: string[];
  /** Calls whose CHANNEL_HANGUP_COMPLETE was not sent (dropped). */
  droppedHangups: number;
}

const EXTENSIONS = 400;
const ORIGINS = 100;
const REALM = '127.0.0.1';

async function main(): Promise<void> {
  const redis = await startRedis();
  const proxy = await TcpProxy.start(redis.port);
  const fake = await FakeFreeSwitch.start();
  const registered = new Map<string, string>();
  let droppedHangups = 0;
  fake.onApi('show', (args) => {
    if (args === 'channels as json' || args === 'calls as json') return '{"row_count": 0}\n';
    if (args !== 'registrations as json') return '-USAGE: show ...\n';
    const expires = String(Math.floor(Date.now() / 1000) + 3600);
    const rows = [...registered].map(([user, callId]) => ({
      reg_user: user, realm: REALM, token: callId, url: `sofia/internal/sip:${user}@${REALM}:5080`,
      expires, network_ip: REALM, network_port: '5080', network_proto: 'udp', hostname: 'fakefs', metadata: '',
    }));
    return rows.length === 0 ? '{"row_count": 0}\n' : JSON.stringify({ row_count: rows.length, rows });
  });
  const servers: Server[] = [];
  for (let i = 0; i < ORIGINS; i++) {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
  }

  const sofia = (subclass: 'sofia::register' | 'sofia::unregister', user: string, callId: string): void => {
    fake.emitEvent({
      'Event-Subclass': subclass, 'Event-Name': 'CUSTOM', 'profile-name': 'internal', 'from-user': user, 'from-host': REALM,
      contact: `"" <sip:${user}@${REALM}:5080>`, 'call-id': callId, status: 'Registered(UDP)', expires: subclass === 'sofia::register' ? '3600' : '0',
      'network-ip': REALM, 'network-port': '5080', username: user, realm: REALM, 'user-agent': 'soak', domain_name: REALM,
    });
  };
  const call = (n: number, dropHangup: boolean): void => {
    const ext = String(1000 + (n % EXTENSIONS));
    const uuid = `soak-${n}`;
    const headers = {
      'Unique-ID': uuid, 'Call-Direction': 'inbound', 'Channel-Name': `sofia/internal/${ext}@${REALM}`,
      'Caller-Caller-ID-Number': ext, 'Caller-Destination-Number': '7001', 'Caller-Callee-ID-Number': '7001',
      'Caller-Profile-Created-Time': String(Date.now() * 1000), variable_user_name: ext, variable_domain_name: REALM,
    };
    fake.emitEvent({ 'Event-Name': 'CHANNEL_CREATE', ...headers });
    fake.emitEvent({ 'Event-Name': 'CHANNEL_ANSWER', ...headers, 'Caller-Channel-Answered-Time': String(Date.now() * 1000) });
    if (dropHangup) droppedHangups++;
    else fake.emitEvent({ 'Event-Name': 'CHANNEL_HANGUP_COMPLETE', ...headers, 'Hangup-Cause': 'NORMAL_CLEARING' });
    // Every 10th call a phone registers again (new Call-ID), every 25th one goes away.
    if (n % 10 === 0) {
      const callId = `reg-${ext}-${n}`;
      registered.set(ext, callId);
      sofia('sofia::register', ext, callId);
    }
    if (n % 25 === 5) {
      const user = String(1000 + ((n * 7) % EXTENSIONS));
      const callId = registered.get(user);
      if (callId !== undefined) {
        registered.delete(user);
        sofia('sofia::unregister', user, callId);
      }
    }
  };

  const send = (message: unknown): void => {
    process.send?.(message);
  };
  process.on('message', (message: WorldCommand) => {
    void (async () => {
      switch (message.op) {
        case 'calls':
          for (let i = 0; i < message.count; i++) {
            const n = message.from + i;
            call(n, message.dropHangupEvery > 0 && n % message.dropHangupEvery === 0);
          }
          break;
        case 'delay':
          proxy.delay(message.ms);
          break;
        case 'stop':
          await fake.stop();
          break;
        case 'restart':
          await fake.restart();
          break;
        case 'expected': {
          const reply: WorldExpected = { op: 'expected', registered: [...registered.keys()], droppedHangups };
          send(reply);
          return;
        }
        case 'close':
          await fake.close();
          await proxy.close();
          for (const server of servers) server.close();
          await redis.stop();
          send({ op: 'closed' });
          process.exit(0);
      }
      send({ op: 'ok' });
    })();
  });
  const ready: WorldReady = {
    op: 'ready', fsPort: fake.port, redisPort: redis.port, proxyPort: proxy.port,
    appUrls: servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}/hook`),
  };
  send(ready);
}

void main();
