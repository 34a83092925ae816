import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { isFreectiError } from '../../src/errors.js';
import { generateFsConfig, renderFsConfig, type FsConfigFile } from '../../src/fs-config/generate.js';
import { runCli } from '../../src/cli.js';
import { findAll, parseXml, type XmlElement } from '../routing/xml-check.js';

const NODE = { name: 'fs1', host: '127.0.0.1', port: 8021, password: 'Str0ng-esl-pass' };

function files(input: ConfigInput): FsConfigFile[] {
  return generateFsConfig(validateConfig({ freeswitch: { nodes: [NODE] }, ...input }));
}

function file(all: FsConfigFile[], path: string): XmlElement {
  const f = all.find((x) => x.path === path);
  assert.ok(f, path);
  return parseXml(f.content);
}

const ACL = 'autoload_configs/freecti/acl-lists.xml';
const PROFILE = 'sip_profiles/freecti/external-settings.xml';

function params(root: XmlElement): Record<string, string> {
  return Object.fromEntries(findAll(root, 'param').map((p) => [p.attrs['name'] ?? '', p.attrs['value'] ?? '']));
}

test('every generated file is well-formed XML', () => {
  const all = files({ xmlCurl: { credentials: 'fs:s3cr&t' }, fsConfig: { inboundAllow: ['192.0.2.10/32'] } });
  assert.equal(all.length, 8);
  for (const f of all) assert.doesNotThrow(() => parseXml(f.content), f.path);
});

test('event socket: loopback, the configured password, an ACL; the well-known password is refused', () => {
  const p = params(file(files({}), 'autoload_configs/event_socket.conf.xml'));
  assert.equal(p['listen-ip'], '127.0.0.1');
  assert.equal(p['listen-port'], '8021');
  assert.equal(p['password'], 'Str0ng-esl-pass');
  assert.equal(p['apply-inbound-acl'], 'loopback.auto');
  for (const password of ['ClueCon', 'short']) {
    assert.throws(() => generateFsConfig(validateConfig({ freeswitch: { nodes: [{ ...NODE, password }] } })), (e: unknown) => isFreectiError(e, 'CONFIG_INVALID') && /password/.test(e.message));
  }
  const remote = { ...NODE, host: '192.0.2.2' };
  assert.throws(() => generateFsConfig(validateConfig({ freeswitch: { nodes: [remote] } })), /eventSocketAllow/);
  const all = generateFsConfig(validateConfig({ freeswitch: { nodes: [remote] }, fsConfig: { eventSocketAllow: ['192.0.2.7/32'] } }));
  assert.equal(params(file(all, 'autoload_configs/event_socket.conf.xml'))['apply-inbound-acl'], 'freecti_esl');
  const lists = findAll(file(all, ACL), 'list');
  const esl = lists.find((l) => l.attrs['name'] === 'freecti_esl');
  assert.equal(esl?.attrs['default'], 'deny');
  assert.deepEqual(esl?.children.map((n) => n.attrs['cidr']), ['127.0.0.0/8', '192.0.2.7/32']);
});

test('xml_curl: gateway-url to /freeswitch/xml, directory|dialplan, always a timeout above the slowest route', () => {
  const root = file(files({ http: { host: '0.0.0.0', port: 9000 }, xmlCurl: { credentials: 'fs:s3cr&t' } }), 'autoload_configs/xml_curl.conf.xml');
  const url = findAll(root, 'param').find((p) => p.attrs['name'] === 'gateway-url');
  assert.equal(url?.attrs['value'], 'http://127.0.0.1:9000/freeswitch/xml');
  assert.equal(url?.attrs['bindings'], 'directory|dialplan');
  const p = params(root);
  assert.equal(p['timeout'], '8');
  assert.equal(p['gateway-credentials'], 'fs:s3cr&t');
  const slow = files({ routing: { routes: [{ id: 'r', context: 'default', url: 'http://127.0.0.1/r', connectTimeoutMs: 5000, responseTimeoutMs: 9000 }] } });
  assert.equal(params(file(slow, 'autoload_configs/xml_curl.conf.xml'))['timeout'], '15');
  const off = files({ routing: { enabled: false }, fsConfig: { freectiUrl: 'https://cti.example:8443' } });
  const offUrl = findAll(file(off, 'autoload_configs/xml_curl.conf.xml'), 'param').find((x) => x.attrs['name'] === 'gateway-url');
  assert.equal(offUrl?.attrs['bindings'], 'directory');
  assert.equal(offUrl?.attrs['value'], 'https://cti.example:8443/freeswitch/xml');
});

test('the public context has no route to gateways, line groups or other contexts', () => {
  const all = files({ fsConfig: { publicContext: 'from-carrier', inboundAllow: ['198.51.100.0/24'] } });
  const root = file(all, 'dialplan/from-carrier.xml');
  const contexts = findAll(root, 'context');
  assert.deepEqual(contexts.map((c) => c.attrs['name']), ['from-carrier']);
  const actions = findAll(root, 'action');
  assert.ok(actions.length > 0);
  for (const a of actions) {
    assert.ok(!['bridge', 'transfer', 'execute_extension', 'socket', 'att_xfer', 'sched_transfer'].includes(a.attrs['application'] ?? ''), a.attrs['application'] ?? '');
    assert.doesNotMatch(a.attrs['data'] ?? '', /gateway|linegroup|sofia\/|loopback\//);
  }
  const sofia = params(file(all, PROFILE));
  assert.equal(sofia['context'], 'from-carrier');
  assert.equal(sofia['apply-inbound-acl'], 'freecti_inbound');
  const inbound = findAll(file(all, ACL), 'list').find((l) => l.attrs['name'] === 'freecti_inbound');
  assert.equal(inbound?.attrs['default'], 'deny');
  assert.deepEqual(inbound?.children.map((n) => n.attrs['cidr']), ['198.51.100.0/24']);
});

test('a public route whose fallback reaches outbound lines is refused', () => {
  for (const fallback of [
    [{ application: 'bridge', data: 'sofia/gateway/carrier/0049123' }],
    [{ application: 'bridge', data: '{x=1}user/1001,linegroup/default/5555' }],
    [{ application: 'transfer', data: '5555 XML default' }],
  ]) {
    const input = { freeswitch: { nodes: [NODE] }, routing: { routes: [{ id: 'pub', context: 'public', url: 'http://127.0.0.1/r', fallback }] } };
    assert.throws(() => generateFsConfig(validateConfig(input)), (e: unknown) => isFreectiError(e, 'CONFIG_INVALID') && /routing\.routes 'pub'/.test(e.message), JSON.stringify(fallback));
  }
  const ok = { freeswitch: { nodes: [NODE] }, routing: { routes: [{ id: 'pub', context: 'public', url: 'http://127.0.0.1/r', fallback: [{ application: 'bridge', data: 'user/1001|user/1002' }, { application: 'transfer', data: 'operator XML public' }] }] } };
  assert.doesNotThrow(() => generateFsConfig(validateConfig(ok)));
});

test('`freecti fs-config` prints every file; a refusal is one line on stderr', async () => {
  let out = '';
  let err = '';
  const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (err += t) };
  assert.equal(await runCli(['fs-config'], { ...io, env: { FREECTI_FS: 'fs1=Str0ng-esl-pass@127.0.0.1:8021' } }), 0);
  const config = validateConfig({ freeswitch: { nodes: [NODE] } });
  assert.equal(out, renderFsConfig(generateFsConfig(config), config));
  assert.match(out, /===== autoload_configs\/xml_curl\.conf\.xml/);
  out = '';
  assert.equal(await runCli(['fs-config'], { ...io, env: { FREECTI_FS: 'ClueCon@127.0.0.1:8021' } }), 1);
  assert.equal(out, '');
  assert.match(err, /^freecti: config freeswitch\.nodes\[0\]\.password: [^\n]+\n$/);
});

test('fsConfig.disableApiExpansion: a switch.conf.xml setting, and only with a directory dial-string that needs no api', () => {
  const SWITCH = 'autoload_configs/freecti/switch-settings.xml';
  assert.equal(files({}).some((f) => f.path === SWITCH), false, 'off by default');
  // freecti's default directory dial-string calls ${sofia_contact(..)}: with api-expansion off user/<ext> stops dialing (recorded).
  assert.throws(
    () => files({ fsConfig: { disableApiExpansion: true } }),
    (e: unknown) => isFreectiError(e, 'CONFIG_INVALID') && /directory\.dialString calls \$\{sofia_contact\(/.test(e.message) && /%\$\{dialed_domain\}/.test(e.message),
  );
  assert.throws(() => files({ fsConfig: { disableApiExpansion: true }, directory: { dialString: 'sofia/internal/${dialed_user}@${user_data(${dialed_user}@${dialed_domain} attr host)}' } }), /directory\.dialString calls/);
  const all = files({ fsConfig: { disableApiExpansion: true }, directory: { dialString: '{^^:sip_invite_domain=${dialed_domain}}sofia/internal/${dialed_user}%${dialed_domain}' } });
  const part = all.find((f) => f.path === SWITCH);
  assert.ok(part);
  assert.deepEqual(part.install, { kind: 'include', into: 'autoload_configs/switch.conf.xml', inside: 'settings', line: '<X-PRE-PROCESS cmd="include" data="freecti/switch-settings.xml"/>' });
  assert.deepEqual(params(file(all, SWITCH)), { 'api-expansion': 'false' });
});
