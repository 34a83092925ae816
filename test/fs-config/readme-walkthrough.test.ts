/**
 * The README's five-minute walk-through, as far as it goes without FreeSWITCH
 * (issue 13 item 6): the snippets it tells a new user to copy agree with what
 * `freecti fs-config` generates for the `FREECTI_FS` of step 2, the configuration
 * directory it names is the one a source install uses, and the extension of step 4,
 * stored in a real Redis, is served by the directory for the recorded REGISTER with its
 * password and a `user_context` (so the phone's calls do not land in the public context).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validateConfig } from '../../src/config/load.js';
import { loadConfig } from '../../src/config/load.js';
import { createDirectoryHandler } from '../../src/directory/handler.js';
import type { HealthReport } from '../../src/http/routes/health.js';
import { startService } from '../../src/service.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { runCli } from '../../src/cli.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { parseXmlCurlForm } from '../../src/xml-curl/request.js';
import { freePort, uniquePrefix, useRedis } from '../helpers/redis.js';
import { recordedRequest, withFields } from '../xml-curl/harness.js';
import { findAll, parseXml, type XmlElement } from '../routing/xml-check.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const WALK = README.slice(README.indexOf('## Five-minute walk-through'), README.indexOf('## Documentation'));

/** The fenced blocks of one walk-through step (`### <n>.`). */
function blocks(step: number, lang: string): string[] {
  const start = WALK.indexOf(`### ${step}.`);
  const end = WALK.indexOf(`### ${step + 1}.`);
  const text = WALK.slice(start, end === -1 ? undefined : end);
  return [...text.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] ?? '');
}

function params(root: XmlElement): Record<string, string> {
  return Object.fromEntries(findAll(root, 'param').map((p) => [p.attrs['name'] ?? '', p.attrs['value'] ?? '']));
}

const FREECTI_FS = /FREECTI_FS='([^']+)'/.exec(blocks(2, 'sh')[0] ?? '')?.[1] ?? '';

async function generated(): Promise<Map<string, string>> {
  let out = '';
  const io = { stdout: (t: string) => (out += t), stderr: (t: string) => assert.fail(t) };
  assert.equal(await runCli(['fs-config'], { ...io, env: { FREECTI_FS } }), 0);
  const parts = new Map<string, string>();
  for (const m of out.matchAll(/<!-- ===== (\S+):[^\n]*\n[^\n]*-->\n([\s\S]*?)(?=<!-- ===== |$)/g)) parts.set(m[1] ?? '', m[2] ?? '');
  return parts;
}

test('the walk-through names the source-install configuration directory and how to find it', () => {
  assert.match(WALK, /`\/usr\/local\/freeswitch\/etc\/freeswitch` when FreeSWITCH is built\s+from source/);
  assert.match(WALK, /global_getvar conf_dir/);
  assert.doesNotMatch(WALK, /\/usr\/local\/freeswitch\/conf\b/, 'no install keeps its configuration there');
});

test('step 1 (event socket) is what `freecti fs-config` prints for the FREECTI_FS of step 2; then fs_cli needs -p', async () => {
  assert.match(FREECTI_FS, /^fs1=[^@]+@127\.0\.0\.1:8021$/);
  const password = /=([^@]+)@/.exec(FREECTI_FS)?.[1] ?? '';
  const readme = params(parseXml(blocks(1, 'xml')[0] ?? ''));
  const part = (await generated()).get('autoload_configs/event_socket.conf.xml');
  assert.ok(part);
  assert.deepEqual(readme, params(parseXml(part)));
  assert.ok(WALK.includes(`fs_cli -p ${password} -x`), 'step 1 says every fs_cli needs the new password');
});

test('step 3 (xml_curl) is the generated binding; it comes after freecti is started and says why', async () => {
  const readme = parseXml(blocks(3, 'xml')[0] ?? '');
  const part = (await generated()).get('autoload_configs/xml_curl.conf.xml');
  assert.ok(part);
  const mine = parseXml(part);
  const url = (root: XmlElement) => findAll(root, 'param').find((p) => p.attrs['name'] === 'gateway-url')?.attrs;
  assert.deepEqual(url(readme), url(mine));
  assert.equal(params(readme)['timeout'], params(mine)['timeout']);
  assert.ok(WALK.indexOf('### 2. Start freecti') < WALK.indexOf('### 3.'));
  assert.match(blocks(3, 'xml').join('') + WALK, /freecti must be running\s+\(step 2\) before this/);
});

const db = useRedis();

test('step 4: the extension, stored as the README says, registers with its password and has a user_context', async () => {
  const hset = blocks(4, 'sh')[0] ?? '';
  const match = /HSET '([^']+)' (\S+) \\\n\s*'([^']+)'/.exec(hset);
  assert.ok(match, hset);
  const [, key = '', extension = '', value = ''] = match;
  const domain = key.replace(/^cti_exten@/, '');
  const prefix = uniquePrefix('readme');
  await db.redis.hset(`${prefix}${key}`, extension, value);
  const config = validateConfig({ redis: { keyPrefix: prefix } });
  const handler = createDirectoryHandler({ redis: db.redis, keys: new Keys(prefix), config, logger: createLogger('silent') });
  const register = withFields(recordedRequest('directory-sip-auth-register-1000').body, { user: extension, domain, sip_auth_username: extension, sip_auth_realm: domain });
  const doc = await handler(parseXmlCurlForm(register));
  const password = (JSON.parse(value) as { param: { password: string } }).param.password;
  assert.match(doc, new RegExp(`<user id="${extension}"`));
  assert.match(doc, new RegExp(`<param name="password" value="${password}"/>`), 'served its own password: the REGISTER is not refused');
  assert.match(doc, /<variable name="user_context" value="default"\/>/);
});

/** Polls /health until `done` holds (or fails after 10 s). */
async function healthUntil(url: string, done: (r: HealthReport) => boolean): Promise<HealthReport> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const report = (await (await fetch(`${url}/health`)).json()) as HealthReport;
    if (done(report)) return report;
    if (Date.now() > deadline) assert.fail(`health never got there: ${JSON.stringify(report.freeswitch)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('step 2 on the fake FreeSWITCH: FREECTI_FS as written connects (ready); a wrong password is auth-failed, as the README says', async () => {
  const password = /=([^@]+)@/.exec(FREECTI_FS)?.[1] ?? '';
  const right = await FakeFreeSwitch.start({ password });
  const wrong = await FakeFreeSwitch.start({ password: 'another-password' });
  const asWritten = (port: number) => FREECTI_FS.replace(/:8021$/, `:${port}`);
  const service = await startService(
    loadConfig({
      REDIS_URL: db.server.url,
      FREECTI_FS: [asWritten(right.port), asWritten(wrong.port).replace(/^fs1=/, 'fs2=')].join(','),
      FREECTI_HTTP: `127.0.0.1:${await freePort()}`,
      FREECTI_ESL_OUTBOUND: `127.0.0.1:${await freePort()}`,
    }),
    createLogger('silent'),
  );
  try {
    const report = await healthUntil(service.url, (r) => r.freeswitch.nodes.every((n) => n.state !== 'connecting' && n.lastError !== null || n.state === 'ready'));
    const state = Object.fromEntries(report.freeswitch.nodes.map((n) => [n.name, n]));
    assert.equal(state['fs1']?.state, 'ready');
    assert.equal(report.redis.state, 'up');
    assert.equal(state['fs2']?.state, 'auth-failed', 'README: auth-failed means the password differs');
    assert.match(WALK, /`auth-failed` means the password differs/);
  } finally {
    await service.stop();
    await right.close();
    await wrong.close();
  }
});
