/**
 * REGISTER storm without FreeSWITCH (issue 14 item 2; docs/performance.md, "REGISTER storm"):
 *
 *   npm run bench:register
 *
 * What a digest REGISTER costs the directory behind mod_xml_curl, as in the storm of
 * scripts/register-storm/ (20 users, 1000-1019, a new Call-ID per REGISTER, the same Contact
 * and source address per user, extensions with `max-registrations-per-extension`):
 * - the recorded lookup (xml-curl/directory-sip-auth-register-1000.http, user, Call-ID filled in)
 *   POSTed on a new TCP connection per request and closed after the answer, as mod_xml_curl does
 *   (xml-curl/keepalive-probe.txt);
 * - for freecti, once the lookup is answered, the recorded sofia::register event
 *   (esl-control/registration-expire-sofia-events.esl, user, Call-ID, Contact, network address and
 *   time filled in) sent by the fake FreeSWITCH (test/fake-freeswitch/) to freecti's ESL consumer,
 *   which writes the registration state to Redis, as FreeSWITCH fires it after the 200 OK.
 * freecti is the real service (bin/freecti.js, its own process, default settings) on a private
 * redis-server; the peer is the trivial responder of the storm (scripts/register-storm/
 * trivial-responder.ts: node:http, every user from memory). The peer gets the same lookups and
 * has no event work (nothing writes its registrations), which is the point of comparing.
 * Two modes, BENCH_ROUNDS (3) rounds each, the order alternating per round:
 * - `serial`: one REGISTER at a time, the next sent when the previous is answered: sofia handles
 *   REGISTERs in one message thread and waits for the lookup (sofia.c sofia_queue_message), so
 *   this is the storm's bound on the directory side (BENCH_GAP_MS, default 0: a pause after each
 *   answer, for FreeSWITCH's own work between two lookups);
 * - `paced`: open loop at BENCH_RATE (400) REGISTERs/s, the storm's offered rate.
 * BENCH_MODES (serial,paced) picks them. BENCH_COUNT (3000) REGISTERs per round. Per case: requests/s, p50/p99 of the lookup (connect to
 * the end of the answer, as FreeSWITCH waits), CPU per REGISTER of the server process (freecti:
 * lookup and event work) and of Redis. State check per freecti round: Redis' registration
 * state is fresh before the round; after it, every user's `registrations` field carries the
 * Call-ID of its last REGISTER and that Call-ID is in its contacts, and the check time after the
 * last answer is reported (`state_lag_ms`): the bench cannot win by dropping writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { EslDecoder } from '../src/esl/decoder.js';
import type { EventHeaders } from '../src/esl/event.js';
import { Keys } from '../src/keys.js';
import { FakeFreeSwitch } from '../test/fake-freeswitch/index.js';
import { fixturePath, readEsl } from '../test/helpers/fixtures.js';
import { freePort, startRedis } from '../test/helpers/redis.js';
import { median } from './lib/timing.js';
import { printResult, progress, round } from './lib/output.js';
import { cpuMicros, load1, percentile, spawnRole, type Role } from './lib/procs.js';

const COUNT = Number(process.env['BENCH_COUNT'] ?? 3000);
const RATE = Number(process.env['BENCH_RATE'] ?? 400);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 1000);
/** BENCH_EVENTS=0: freecti gets the lookups only, no sofia::register (to split its cost; the state check is skipped). */
const EVENTS = process.env['BENCH_EVENTS'] !== '0';
/** serial mode: a pause after each answered lookup, as FreeSWITCH's own work on the REGISTER (0 = none). */
const GAP_MS = Number(process.env['BENCH_GAP_MS'] ?? 0);
const DOMAIN = '127.0.0.1';
const USERS = Array.from({ length: 20 }, (_, i) => String(1000 + i));
const MAX_REGISTRATIONS = 5;
const SIP_PORT = '5070';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const keys = new Keys();

type Server = 'freecti' | 'trivial';
type Mode = 'serial' | 'paced';

function recordedBody(): string {
  const raw = readFileSync(fixturePath('xml-curl/directory-sip-auth-register-1000.http'), 'latin1');
  return raw.slice(raw.indexOf('\r\n\r\n') + 4);
}

function setField(body: string, name: string, value: string): string {
  const re = new RegExp(`(^|&)${name}=[^&]*`);
  if (!re.test(body)) throw new Error(`recorded lookup has no ${name}`);
  return body.replace(re, `$1${name}=${encodeURIComponent(value)}`);
}

/** The recorded sofia::register event's headers, in order. */
function recordedRegister(): EventHeaders {
  for (const message of EslDecoder.decodeAll(readEsl('esl-control/registration-expire-sofia-events'))) {
    if (message.kind === 'event' && message.event.subclass === 'sofia::register') return { ...message.event.headers };
  }
  throw new Error('no sofia::register in the recording');
}

class Storm {
  private readonly body = recordedBody();
  private readonly event = recordedRegister();
  private seq = 0;
  /** Last Call-ID registered per user (this round). */
  last = new Map<string, string>();

  next(): { user: string; callId: string; form: string } {
    const n = this.seq++;
    const user = USERS[n % USERS.length] as string;
    const callId = `storm-${process.pid}-${n}@127.0.0.1`;
    let form = this.body;
    for (const name of ['user', 'sip_auth_username', 'sip_contact_user', 'sip_to_user', 'sip_from_user']) form = setField(form, name, user);
    form = setField(setField(form, 'sip_call_id', callId), 'client_port', SIP_PORT);
    return { user, callId, form };
  }

  registerEvent(user: string, callId: string): EventHeaders {
    const e: EventHeaders = { ...this.event };
    for (const name of ['from-user', 'to-user', 'username', 'sip_number_alias', 'sip_auth_username', 'number_alias', 'user_name', 'accountcode', 'effective_caller_id_number']) e[name] = user;
    e['effective_caller_id_name'] = `Extension ${user}`;
    e['call-id'] = callId;
    e['contact'] = `"" <sip:${user}@127.0.0.1:${SIP_PORT}>`;
    e['network-port'] = SIP_PORT;
    e['expires'] = '120';
    e['user-agent'] = 'sipp-storm';
    e['Event-Date-Timestamp'] = String(Date.now() * 1000);
    e['Event-Sequence'] = String(this.seq);
    return e;
  }
}

/** One lookup on its own TCP connection, closed after the answer (mod_xml_curl); resolves with ms. */
function lookup(port: number, path: string, form: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, path, method: 'POST', agent: false,
      headers: { 'user-agent': 'freeswitch-xml/1.0', accept: '*/*', 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form) },
    }, (res) => {
      let text = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        res.socket.destroy();
        if (res.statusCode !== 200 || !text.includes('<user id=')) reject(new Error(`lookup answered ${res.statusCode ?? '?'}: ${text.slice(0, 200)}`));
        else resolve(Number(process.hrtime.bigint() - started) / 1e6);
      });
    });
    req.on('error', reject);
    req.end(form);
  });
}

interface RunResult { count: number; elapsed: number; latencies: number[] }

async function runStorm(storm: Storm, server: Server, port: number, fake: FakeFreeSwitch, mode: Mode, count: number): Promise<RunResult> {
  const path = server === 'freecti' ? '/freeswitch/xml' : '/fsapi';
  const latencies: number[] = [];
  const one = async (): Promise<void> => {
    const { user, callId, form } = storm.next();
    latencies.push(await lookup(port, path, form));
    if (server === 'freecti' && EVENTS) {
      storm.last.set(user, callId);
      if (fake.emitRawEvent(storm.registerEvent(user, callId)) !== 1) throw new Error('freecti is not subscribed to sofia::register');
    }
  };
  const t0 = performance.now();
  if (mode === 'serial') {
    for (let i = 0; i < count; i++) {
      await one();
      if (GAP_MS > 0) await new Promise((r) => setTimeout(r, GAP_MS));
    }
  } else {
    const pending: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const wait = t0 + (i * 1000) / RATE - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(one());
    }
    await Promise.all(pending);
  }
  return { count, elapsed: (performance.now() - t0) / 1000, latencies };
}

/** Deletes the registration state (not the extensions), so every round starts as the storm does. */
async function resetState(redis: Redis): Promise<void> {
  await redis.del('registrations', keys.registrationsOfNode('fs1'), keys.registrationsRemoved('fs1'), ...USERS.map((u) => keys.registrationContacts(u)));
}

/** ms until Redis holds every user's last registration (the field's event and its contact); throws after 30 s. */
async function stateSettled(redis: Redis, last: ReadonlyMap<string, string>, since: number): Promise<number> {
  for (;;) {
    let ok = true;
    for (const [user, callId] of last) {
      const field = await redis.hget('registrations', user);
      const held = await redis.hexists(keys.registrationContacts(user), callId);
      if (field === null || !field.includes(JSON.stringify(callId).slice(1, -1)) || held !== 1) {
        ok = false;
        break;
      }
    }
    if (ok) return performance.now() - since;
    if (performance.now() - since > 30_000) throw new Error('registration state incomplete 30 s after the last REGISTER: writes were dropped');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function waitFor(url: string, ok: (body: string) => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      const res = await fetch(url);
      if (ok(await res.text())) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready: ${url}`);
}

interface Tally { rps: number[]; latencies: number[]; cpuUs: number; redisUs: number; requests: number; lagMs: number[] }
const newTally = (): Tally => ({ rps: [], latencies: [], cpuUs: 0, redisUs: 0, requests: 0, lagMs: [] });

async function main(): Promise<void> {
  const redisServer = await startRedis();
  const redis = new Redis(redisServer.url);
  const fake = await FakeFreeSwitch.start();
  const work = mkdtempSync(join(tmpdir(), 'bench-register-'));
  const children: ChildProcess[] = [];
  let trivialRole: Role | undefined;
  try {
    const fields: string[] = [];
    for (const user of USERS) {
      fields.push(user, JSON.stringify({
        param: { password: 'acc-9f3k2', 'vm-password': user, 'max-registrations-per-extension': MAX_REGISTRATIONS },
        variable: { toll_allow: 'domestic,international,local', accountcode: user, user_context: 'default', effective_caller_id_name: `Extension ${user}`, effective_caller_id_number: user, callgroup: 'techsupport' },
      }));
    }
    await redis.hset(`cti_exten@${DOMAIN}`, ...fields);
    const redisPid = Number((await redis.info('server')).match(/process_id:(\d+)/)?.[1]);

    const httpPort = await freePort();
    const config = join(work, 'freecti.json');
    writeFileSync(config, JSON.stringify({
      redis: { url: redisServer.url },
      freeswitch: { nodes: [{ name: 'fs1', host: fake.host, port: fake.port, password: fake.password }] },
      http: { host: '127.0.0.1', port: httpPort },
      eslOutbound: { host: '127.0.0.1', port: await freePort() },
    }));
    // BENCH_PROF_DIR=<dir>: freecti runs under `node --cpu-prof` (the profile is written when it exits).
    const prof = process.env['BENCH_PROF_DIR'];
    const freecti = spawn(process.execPath, [...(prof === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', prof]), join(ROOT, 'bin', 'freecti.js')], { cwd: ROOT, env: { ...process.env, FREECTI_CONFIG: config }, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(freecti);
    await waitFor(`http://127.0.0.1:${httpPort}/health`, (b) => {
      try {
        const h = JSON.parse(b) as { freeswitch: { nodes: { ready: boolean; lease?: { state: string } }[] } };
        return h.freeswitch.nodes[0]?.ready === true && h.freeswitch.nodes[0]?.lease?.state === 'held';
      } catch {
        return false;
      }
    });
    trivialRole = spawnRole(join(ROOT, 'scripts', 'register-storm', 'trivial-responder.ts'), ['0']);
    const trivialPort = Number(((await trivialRole.lines.next()).value as string).split(' ')[1]);
    const ports: Record<Server, number> = { freecti: httpPort, trivial: trivialPort };
    const pids: Record<Server, number> = { freecti: freecti.pid ?? 0, trivial: trivialRole.proc.pid ?? 0 };

    const storm = new Storm();
    for (const server of ['trivial', 'freecti'] as const) await runStorm(storm, server, ports[server], fake, 'paced', WARMUP);
    const modes = (process.env['BENCH_MODES'] ?? 'serial,paced').split(',') as Mode[];
    for (const mode of modes) {
      if (mode !== 'serial' && mode !== 'paced') throw new Error(`unknown mode ${String(mode)}; known: serial, paced`);
      const tallies: Record<Server, Tally> = { freecti: newTally(), trivial: newTally() };
      const ratios: number[] = [];
      const loads: number[] = [];
      let stateOk = true;
      for (let r = 0; r < ROUNDS; r++) {
        const order: Server[] = r % 2 === 0 ? ['freecti', 'trivial'] : ['trivial', 'freecti'];
        const got: Partial<Record<Server, number>> = {};
        for (const server of order) {
          if (server === 'freecti') {
            await resetState(redis);
            storm.last = new Map();
          }
          const tally = tallies[server];
          const cpu0 = cpuMicros(pids[server]);
          const redis0 = cpuMicros(redisPid);
          const result = await runStorm(storm, server, ports[server], fake, mode, COUNT);
          if (server === 'freecti' && EVENTS) {
            // The writes of the last events are part of the work: wait for them before reading the CPU.
            tally.lagMs.push(await stateSettled(redis, storm.last, performance.now()).catch((error: unknown) => {
              stateOk = false;
              progress((error as Error).message);
              return Number.NaN;
            }));
          }
          tally.cpuUs += cpuMicros(pids[server]) - cpu0;
          tally.redisUs += cpuMicros(redisPid) - redis0;
          tally.requests += result.count;
          tally.latencies.push(...result.latencies);
          got[server] = result.count / result.elapsed;
          tally.rps.push(got[server]);
          loads.push(load1());
          progress(`${mode} round ${r} ${server}: ${Math.round(got[server])} REGISTERs/s, load ${load1()}`);
        }
        ratios.push((got.freecti ?? 0) / (got.trivial ?? 1));
      }
      const line = (server: Server): Record<string, string | number | boolean> => {
        const t = tallies[server];
        const sorted = t.latencies.sort((a, b) => a - b);
        return {
          case: `register-storm-${mode}`, server, mode: mode === 'serial' ? 'one-at-a-time' : `paced-${RATE}rps`, registers: t.requests,
          rps: round(median(t.rps)), p50_ms: round(percentile(sorted, 50), 2), p99_ms: round(percentile(sorted, 99), 2),
          cpu_us_per_register: round(t.cpuUs / Math.max(1, t.requests)), redis_cpu_us_per_register: round(t.redisUs / Math.max(1, t.requests)),
          event_work: server === 'freecti' && EVENTS,
          ...(server === 'freecti' ? { state_ok: EVENTS ? stateOk : 'not checked (BENCH_EVENTS=0)', state_lag_ms_max: EVENTS ? round(Math.max(...t.lagMs), 1) : 0, ratio_vs_trivial: round(median(ratios), 2), ratio_min: round(Math.min(...ratios), 2), ratio_max: round(Math.max(...ratios), 2) } : {}),
          rounds: ROUNDS, load1: round(Math.max(...loads), 1),
        };
      };
      printResult(line('freecti'));
      printResult(line('trivial'));
    }
  } finally {
    trivialRole?.proc.kill('SIGTERM');
    for (const c of children) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
    await fake.close();
    redis.disconnect();
    await redisServer.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
