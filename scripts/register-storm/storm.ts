/**
 * REGISTER storm on the real FreeSWITCH (issue 14 items 1-2), by hand only, never in CI:
 *
 *   bash scripts/register-storm/run.sh            # takes /tmp/freeswitch.lock, then runs this
 *
 * For each directory, one after another (the order alternates from run to run), FreeSWITCH
 * 1.11.3 is started on a private copy of its configuration (`-conf/-log/-db/-run` in a temp
 * directory: /usr/local/freeswitch/etc is never changed), sipp offers STORM_COUNT (3000) digest
 * REGISTERs at STORM_RATE (400)/s from the 20 users of users.csv (one sipp per user), and FreeSWITCH is shut down:
 * - static: the users in the static XML directory (static-users.xml), no xml_curl binding;
 * - trivial: xml_curl binding to trivial-responder.ts (answers every user from memory, no event work);
 * - freecti: xml_curl binding to freecti's `POST /freeswitch/xml` (Redis directory, the
 *   registration rules) and freecti's ESL consumer writing the sofia::register state to Redis.
 *   The extensions carry `max-registrations-per-extension`, so the rule that reads the live
 *   contacts from Redis runs on every lookup.
 * The trivial and freecti runs have no static users (a lookup that fails cannot fall back).
 * One JSON line per directory and run: completed, failed, seconds, rate, the ratios to the
 * static and trivial runs of the same round, sipp's mean time for the authenticated REGISTER
 * (RTD 1: send -> 200 OK), CPU per REGISTER of FreeSWITCH / the responder / Redis, the
 * responder's own lookup latency, and for freecti whether every registration is in Redis.
 * STORM_REG_THREADS=<n> (default 0 = FreeSWITCH's default): every directory's copy gets
 * `inbound-reg-in-new-thread` (internal profile) and `max-reg-threads` n (sofia.conf), so sofia
 * handles up to n REGISTERs at once instead of one after another in its message thread.
 * STORM_FREECTI_ESL=0 points freecti's ESL node at a closed port: lookups only, no events and no
 * state (a diagnosis of the split, not the product).
 * STORM_RUNS (2) rounds; STORM_DIRS (static,trivial,freecti) picks directories; STORM_PROF=1
 * runs freecti under `node --cpu-prof` (profiles in STORM_PROF_DIR, default /tmp/register-storm-prof);
 * STORM_KEEP=1 keeps the temp directory (configuration copies, FreeSWITCH's and freecti's logs).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Keys } from '../../src/keys.js';
import { startRedis } from '../../test/helpers/redis.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = join(HERE, '..', '..');
const FS = '/usr/local/freeswitch';
const FS_CONF = `${FS}/etc/freeswitch`;
const COUNT = Number(process.env['STORM_COUNT'] ?? 3000);
const RATE = Number(process.env['STORM_RATE'] ?? 400);
const RUNS = Number(process.env['STORM_RUNS'] ?? 2);
const DIRS = (process.env['STORM_DIRS'] ?? 'static,trivial,freecti').split(',') as Directory[];
const PROF = process.env['STORM_PROF'] === '1';
const PROF_DIR = process.env['STORM_PROF_DIR'] ?? '/tmp/register-storm-prof';
/** > 0: sofia handles each REGISTER in a thread of its own, up to this many at once (see prepareConf). */
const REG_THREADS = Number(process.env['STORM_REG_THREADS'] ?? 0);
/** STORM_FREECTI_ESL=0: freecti's ESL node is a closed port: lookups only, no events, no state (to split the cost). */
const FREECTI_ESL = process.env['STORM_FREECTI_ESL'] !== '0';
const RESPONDER_PORT = 18099;
const FREECTI_PORT = 18088;
const DOMAIN = '127.0.0.1';
const MAX_REGISTRATIONS = 5;
/** freecti's default key names (no prefix, seed hash `registrations`). */
const keys = new Keys();

type Directory = 'static' | 'trivial' | 'freecti';
type Line = Record<string, string | number | boolean>;

const log = (message: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (v: number, d = 0): number => Math.round(v * 10 ** d) / 10 ** d;

function cpuMicros(pid: number | undefined): number {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return 0;
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / 100;
}

function fsCli(command: string): string {
  const r = spawnSync(`${FS}/bin/fs_cli`, ['-x', command], { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

/** A private copy of FreeSWITCH's configuration for one directory. */
function prepareConf(base: string, dir: Directory): string {
  const root = join(base, dir);
  const conf = join(root, 'conf');
  cpSync(FS_CONF, conf, { recursive: true });
  for (const sub of ['log', 'db', 'run']) mkdirSync(join(root, sub), { recursive: true });
  const users = join(conf, 'directory', 'default');
  for (const name of readdirSync(users)) if (/^10[01]\d\.xml$/.test(name)) rmSync(join(users, name));
  if (REG_THREADS > 0) {
    // sofia.c sofia_queue_message: a REGISTER goes to a thread of its own only with the profile's
    // inbound-reg-in-new-thread AND sofia.conf's max-reg-threads (default 0: never); otherwise one
    // message thread handles every REGISTER in turn (a second starts above 1000 queued messages).
    const profile = join(conf, 'sip_profiles', 'internal.xml');
    writeFileSync(profile, readFileSync(profile, 'utf8').replace('<settings>', '<settings>\n    <param name="inbound-reg-in-new-thread" value="true"/>'));
    const sofia = join(conf, 'autoload_configs', 'sofia.conf.xml');
    writeFileSync(sofia, readFileSync(sofia, 'utf8').replace('<global_settings>', `<global_settings>\n    <param name="max-reg-threads" value="${REG_THREADS}"/>`));
  }
  if (dir === 'static') {
    cpSync(join(HERE, 'static-users.xml'), join(users, 'storm-users.xml'));
  } else {
    const url = dir === 'trivial' ? `http://127.0.0.1:${RESPONDER_PORT}/fsapi` : `http://127.0.0.1:${FREECTI_PORT}/freeswitch/xml`;
    writeFileSync(join(conf, 'autoload_configs', 'xml_curl.conf.xml'), [
      '<configuration name="xml_curl.conf" description="cURL XML Gateway">',
      '  <bindings>',
      `    <binding name="storm-directory">`,
      `      <param name="gateway-url" value="${url}" bindings="directory"/>`,
      '      <param name="timeout" value="2"/>',
      '    </binding>',
      '  </bindings>',
      '</configuration>',
      '',
    ].join('\n'));
  }
  return root;
}

async function startFreeswitch(root: string): Promise<number> {
  if (fsCli('status').includes('UP ')) throw new Error('a FreeSWITCH already answers on 127.0.0.1:8021; stop it first');
  const args = ['-nc', '-nonat', '-conf', join(root, 'conf'), '-log', join(root, 'log'), '-db', join(root, 'db'), '-run', join(root, 'run')];
  const r = spawnSync(`${FS}/bin/freeswitch`, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`freeswitch did not start: ${r.stderr}`);
  const pidFile = join(root, 'run', 'freeswitch.pid');
  for (let i = 0; i < 40 && !existsSync(pidFile); i++) await sleep(250);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  for (let i = 0; i < 120; i++) {
    if (/\binternal\s+profile\s+\S+\s+RUNNING/.test(fsCli('sofia status'))) return pid;
    await sleep(500);
  }
  await stopFreeswitch(pid);
  throw new Error('the internal profile did not come up within 60 s');
}

async function stopFreeswitch(pid: number): Promise<void> {
  fsCli('shutdown');
  for (let i = 0; i < 120 && existsSync(`/proc/${pid}`); i++) await sleep(250);
  if (existsSync(`/proc/${pid}`)) throw new Error(`freeswitch ${pid} did not stop`);
}

function startNode(args: readonly string[], env: Record<string, string>, logFile: string): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  child.on('exit', () => writeFileSync(logFile, out));
  return child;
}

async function waitHttp(url: string, ok: (body: string) => boolean, what: string, tries = 120): Promise<string> {
  for (let i = 0; i < tries; i++) {
    try {
      const res = await fetch(url);
      const body = await res.text();
      if (ok(body)) return body;
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  throw new Error(`${what} not ready (${url})`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
}

interface SippResult { completed: number; failed: number; seconds: number; rtdMs: number; retransmissions: number }

/** The users and passwords of users.csv. */
function stormUsers(): { user: string; password: string }[] {
  return readFileSync(join(HERE, 'users.csv'), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => {
    const [user = '', password = ''] = l.split(';');
    return { user, password };
  });
}

/**
 * One sipp per user (sipp 3.6.1 takes the digest credentials from -au/-ap only), all started at
 * once, each offering COUNT/users REGISTERs at RATE/users per second from its own port; elapsed =
 * from the start to the exit of the last one (every REGISTER completed or failed).
 */
async function runSipp(work: string): Promise<SippResult> {
  const users = stormUsers();
  const t0 = performance.now();
  const runs = users.map(({ user, password }, i) => {
    const stat = join(work, `sipp-${user}.csv`);
    rmSync(stat, { force: true });
    const args = [
      '127.0.0.1:5060', '-sf', join(HERE, 'register.xml'), '-s', user, '-au', user, '-ap', password,
      '-r', String(RATE / users.length), '-m', String(Math.round(COUNT / users.length)),
      '-i', '127.0.0.1', '-p', String(5070 + i), '-nostdin', '-trace_stat', '-stf', stat, '-fd', '1', '-timeout', '300s', '-timeout_error',
    ];
    const child = spawn('sipp', args, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    return new Promise<{ stat: string; code: number | null; err: string }>((r) => child.once('exit', (code) => r({ stat, code, err })));
  });
  const done = await Promise.all(runs);
  const seconds = (performance.now() - t0) / 1000;
  const total: SippResult = { completed: 0, failed: 0, seconds, rtdMs: 0, retransmissions: 0 };
  for (const { stat, code, err } of done) {
    if (!existsSync(stat)) throw new Error(`sipp wrote no statistics (exit ${code}): ${err.slice(0, 500)}`);
    const lines = readFileSync(stat, 'utf8').trim().split('\n');
    const head = (lines[0] ?? '').split(';');
    const last = (lines[lines.length - 1] ?? '').split(';');
    const col = (name: string): string => last[head.indexOf(name)] ?? '';
    const [h, m, s, us] = col('ResponseTime1(C)').split(':').map(Number); // hh:mm:ss:micro
    const completed = Number(col('SuccessfulCall(C)'));
    total.completed += completed;
    total.failed += Number(col('FailedCall(C)'));
    total.retransmissions += Number(col('Retransmissions(C)'));
    total.rtdMs += (((h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0)) * 1000 + (us ?? 0) / 1000) * completed;
  }
  total.rtdMs /= Math.max(1, total.completed);
  return total;
}

/** freecti's server-side time for `POST /freeswitch/xml` from its Prometheus histogram (sum, count, count <= 5 ms, <= 10 ms). */
async function xmlCurlHistogram(): Promise<{ sum: number; count: number; le5: number; le10: number }> {
  const text = await (await fetch(`http://127.0.0.1:${FREECTI_PORT}/metrics`)).text();
  const pick = (re: RegExp): number => {
    let total = 0;
    for (const line of text.split('\n')) if (line.includes('route="/freeswitch/xml"') && re.test(line)) total += Number(line.split(' ').pop());
    return total;
  };
  return {
    sum: pick(/^freecti_http_request_duration_seconds_sum/),
    count: pick(/^freecti_http_request_duration_seconds_count/),
    le5: pick(/^freecti_http_request_duration_seconds_bucket\{le="0.005"/),
    le10: pick(/^freecti_http_request_duration_seconds_bucket\{le="0.01"/),
  };
}

async function seedExtensions(redis: Redis): Promise<void> {
  await redis.flushdb();
  const fields: string[] = [];
  for (const { user, password } of stormUsers()) {
    fields.push(user, JSON.stringify({
      param: { password, 'vm-password': user, 'max-registrations-per-extension': MAX_REGISTRATIONS },
      variable: { toll_allow: 'domestic,international,local', accountcode: user, user_context: 'default', effective_caller_id_name: `Extension ${user}`, effective_caller_id_number: user, callgroup: 'techsupport' },
    }));
  }
  await redis.hset(`cti_exten@${DOMAIN}`, ...fields);
}

async function runOne(dir: Directory, base: string, redisUrl: string, redis: Redis, runNo: number): Promise<Line> {
  const root = prepareConf(join(base, `r${runNo}`), dir);
  let helper: ChildProcess | undefined;
  if (dir === 'trivial') {
    helper = startNode(['--import', 'tsx', join(HERE, 'trivial-responder.ts'), String(RESPONDER_PORT)], {}, join(root, 'responder.log'));
    await waitHttp(`http://127.0.0.1:${RESPONDER_PORT}/stats`, () => true, 'trivial responder');
  } else if (dir === 'freecti') {
    await seedExtensions(redis);
    const config = join(root, 'freecti.json');
    writeFileSync(config, JSON.stringify({
      redis: { url: redisUrl },
      freeswitch: { nodes: [{ name: 'fs1', host: '127.0.0.1', port: FREECTI_ESL ? 8021 : 9, password: 'ClueCon' }] },
      http: { host: '127.0.0.1', port: FREECTI_PORT },
      eslOutbound: { host: '127.0.0.1', port: FREECTI_PORT + 1 },
    }));
    if (PROF) mkdirSync(PROF_DIR, { recursive: true });
    const nodeArgs = [...(PROF ? ['--cpu-prof', '--cpu-prof-dir', PROF_DIR] : []), join(ROOT, 'bin', 'freecti.js')];
    helper = startNode(nodeArgs, { FREECTI_CONFIG: config }, join(root, 'freecti.log'));
    await waitHttp(`http://127.0.0.1:${FREECTI_PORT}/health/live`, () => true, 'freecti');
  }
  const fsPid = await startFreeswitch(root);
  try {
    if (dir === 'freecti' && FREECTI_ESL) {
      await waitHttp(`http://127.0.0.1:${FREECTI_PORT}/health`, (b) => {
        const h = JSON.parse(b) as { freeswitch: { nodes: { ready: boolean; lease?: { state: string } }[] } };
        return h.freeswitch.nodes[0]?.ready === true && h.freeswitch.nodes[0]?.lease?.state === 'held';
      }, 'freecti connected to FreeSWITCH', 240);
    }
    if (dir === 'trivial') await fetch(`http://127.0.0.1:${RESPONDER_PORT}/stats`); // reset: start-up lookups
    await sleep(2000); // FreeSWITCH settles after start-up
    const redisPid = Number((await redis.info('server')).match(/process_id:(\d+)/)?.[1]);
    const before = { fs: cpuMicros(fsPid), helper: cpuMicros(helper?.pid), redis: cpuMicros(redisPid) };
    const hist0 = dir === 'freecti' ? await xmlCurlHistogram() : undefined;
    const load0 = loadavg()[0] ?? 0;
    log(`${dir}: sipp ${COUNT} REGISTERs at ${RATE}/s`);
    const sipp = await runSipp(root);
    const cpu = { fs: cpuMicros(fsPid) - before.fs, helper: cpuMicros(helper?.pid) - before.helper, redis: cpuMicros(redisPid) - before.redis };
    const per = (us: number): number => round(us / Math.max(1, sipp.completed));
    const line: Line = {
      case: 'register-storm', directory: dir, run: runNo, reg_threads: REG_THREADS, offered: COUNT, offered_rate: RATE, completed: sipp.completed, failed: sipp.failed,
      seconds: round(sipp.seconds, 1), rate: round(sipp.completed / sipp.seconds), register_rtd_ms: round(sipp.rtdMs, 2), retransmissions: sipp.retransmissions,
      fs_cpu_us_per_reg: per(cpu.fs), redis_cpu_us_per_reg: per(cpu.redis),
    };
    if (helper !== undefined) line[`${dir}_cpu_us_per_reg`] = per(cpu.helper);
    if (dir === 'trivial') {
      const stats = JSON.parse(await (await fetch(`http://127.0.0.1:${RESPONDER_PORT}/stats`)).text()) as Record<string, number>;
      Object.assign(line, { lookups: stats['lookups'] ?? 0, lookup_mean_ms: stats['mean_ms'] ?? 0, lookup_p50_ms: stats['p50_ms'] ?? 0, lookup_p99_ms: stats['p99_ms'] ?? 0 });
    }
    if (dir === 'freecti' && hist0 !== undefined) {
      const h = await xmlCurlHistogram();
      const n = h.count - hist0.count;
      Object.assign(line, {
        lookups: n, lookup_mean_ms: round(((h.sum - hist0.sum) * 1000) / Math.max(1, n), 3),
        lookup_le_5ms: round((h.le5 - hist0.le5) / Math.max(1, n), 3), lookup_le_10ms: round((h.le10 - hist0.le10) / Math.max(1, n), 3),
      });
      line['freecti_esl'] = FREECTI_ESL;
    }
    if (dir === 'freecti' && FREECTI_ESL) {
      // Every user FreeSWITCH holds a registration for has one in Redis, with its last Call-ID.
      await sleep(1000);
      const listed = fsCli('show registrations as json');
      const rows = ((JSON.parse(listed.slice(listed.indexOf('{'))) as { rows?: { reg_user: string; token: string }[] }).rows ?? []);
      let present = 0;
      for (const row of rows) if ((await redis.hexists(keys.registrationContacts(row.reg_user), row.token)) === 1) present++;
      const hashed = await redis.hlen('registrations');
      Object.assign(line, { fs_registrations: rows.length, redis_registrations: hashed, redis_has_every_fs_contact: present === rows.length && rows.length > 0 && hashed === rows.length });
    }
    line['load1_before'] = round(load0, 2);
    line['load1_after'] = round(loadavg()[0] ?? 0, 2);
    return line;
  } finally {
    await stopFreeswitch(fsPid);
    if (helper !== undefined) await stopChild(helper);
  }
}

async function main(): Promise<void> {
  if (!existsSync(`${FS}/bin/freeswitch`)) throw new Error(`no FreeSWITCH at ${FS}`);
  const base = mkdtempSync(join(tmpdir(), 'register-storm-'));
  log(`work directory ${base}`);
  const redisServer = await startRedis();
  const redis = new Redis(redisServer.url);
  try {
    for (let r = 1; r <= RUNS; r++) {
      const order = r % 2 === 1 ? DIRS : [...DIRS].reverse();
      const got: Partial<Record<Directory, Line>> = {};
      for (const dir of order) {
        got[dir] = await runOne(dir, base, redisServer.url, redis, r);
        log(JSON.stringify(got[dir]));
      }
      for (const dir of DIRS) {
        const line = got[dir];
        if (line === undefined) continue;
        for (const peer of ['static', 'trivial'] as const) {
          const p = got[peer];
          if (p !== undefined && peer !== dir) line[`ratio_vs_${peer}`] = round(Number(line['rate']) / Number(p['rate']), 2);
        }
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
    }
  } finally {
    redis.disconnect();
    await redisServer.stop();
    // The configuration copies and logs (STORM_KEEP=1 keeps them for a look at FreeSWITCH's log).
    if (process.env['STORM_KEEP'] !== '1') rmSync(base, { recursive: true, force: true });
  }
}

await main();
