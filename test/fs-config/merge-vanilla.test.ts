/**
 * `freecti fs-config` parts installed into the stock FreeSWITCH configuration exactly as
 * their banners say (test/fixtures/freeswitch-vanilla-conf), then read the way
 * FreeSWITCH's preprocessor reads them (switch_xml.c: an X-PRE-PROCESS include is
 * relative to the including file's directory, globs, and drops every line holding
 * `<include>` or `</include>`): freecti's lists, settings and contexts are in, and the
 * operator's own (`lan`, `domains`, the profile's ports, dialplan/public/*.xml) stay.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfig } from '../../src/config/load.js';
import { addInclude, generateFsConfig, renderFsConfig, type FsConfigFile } from '../../src/fs-config/generate.js';
import { findAll, parseXml, type XmlElement } from '../routing/xml-check.js';

const VANILLA = fileURLToPath(new URL('../fixtures/freeswitch-vanilla-conf/', import.meta.url));
const NODE = { name: 'fs1', host: '127.0.0.1', port: 8021, password: 'Str0ng-esl-pass' };

/** FreeSWITCH's X-PRE-PROCESS include, as switch_xml.c preprocess()/preprocess_glob() do it. */
function preprocess(path: string, depth = 0): string {
  assert.ok(depth < 20, 'include loop');
  const out: string[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.includes('<include>') || line.includes('</include>') || line.includes('<?')) continue;
    const include = /<X-PRE-PROCESS\s+cmd="include"\s+data="([^"]+)"\s*\/>/.exec(line);
    if (include === null) {
      out.push(line);
      continue;
    }
    const pattern = join(dirname(path), include[1] ?? '');
    const dir = dirname(pattern);
    const name = basename(pattern);
    const matches = name.includes('*')
      ? (existsSync(dir) ? readdirSync(dir).filter((f) => new RegExp(`^${name.replace(/\./g, '\\.').replace(/\*/g, '.*')}$`).test(f)).sort() : [])
      : existsSync(pattern) ? [name] : [];
    for (const match of matches) out.push(preprocess(join(dir, match), depth + 1));
  }
  return out.join('\n');
}

/** Installs every part into `conf` as its banner says. */
function install(conf: string, parts: readonly FsConfigFile[]): void {
  for (const part of parts) {
    const target = join(conf, part.path);
    if (part.install.kind === 'new') assert.ok(!existsSync(target), `${part.path} is new`);
    if (part.install.kind === 'replace') assert.ok(existsSync(target) || part.path.startsWith('dialplan/'), `${part.path} replaces a stock file`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, part.content);
    if (part.install.kind === 'include') {
      const into = join(conf, part.install.into);
      writeFileSync(into, addInclude(readFileSync(into, 'utf8'), part.install));
    }
  }
}

function params(root: XmlElement): [string, string][] {
  return findAll(root, 'param').map((p) => [p.attrs['name'] ?? '', p.attrs['value'] ?? '']);
}
/** The value sofia ends with: params are read in order, the last one wins. */
function last(root: XmlElement, name: string): string | undefined {
  return params(root).filter(([n]) => n === name).at(-1)?.[1];
}

test('installed into the stock configuration as the banners say, the operator\'s own settings stay', () => {
  const conf = mkdtempSync(join(tmpdir(), 'freecti-fsconf-'));
  try {
    cpSync(VANILLA, conf, { recursive: true });
    const config = validateConfig({ freeswitch: { nodes: [NODE] }, fsConfig: { inboundAllow: ['198.51.100.0/24'] } });
    install(conf, generateFsConfig(config));

    // acl.conf.xml: the stock lists and freecti's, in one <network-lists>.
    const acl = parseXml(preprocess(join(conf, 'autoload_configs/acl.conf.xml')));
    const lists = findAll(acl, 'list');
    assert.deepEqual(lists.map((l) => l.attrs['name']), ['lan', 'domains', 'freecti_esl', 'freecti_inbound']);
    assert.deepEqual(lists[3]?.children.map((n) => n.attrs['cidr']), ['198.51.100.0/24']);

    // The external profile keeps its ports and codecs; freecti's settings win (they come last).
    const external = parseXml(preprocess(join(conf, 'sip_profiles/external.xml')));
    const settings = findAll(external, 'settings')[0];
    assert.ok(settings);
    assert.equal(last(settings, 'sip-port'), '$${external_sip_port}');
    assert.equal(last(settings, 'context'), 'public');
    assert.equal(last(settings, 'apply-inbound-acl'), 'freecti_inbound');
    assert.equal(last(settings, 'auth-calls'), 'false');
    assert.equal(findAll(external, 'gateways').length, 1, 'the gateways include is untouched');

    // public: the stock DID file still runs, then freecti's hang-up; no catch-all into default.
    const publicXml = parseXml(preprocess(join(conf, 'dialplan/public.xml')));
    const extensions = findAll(publicXml, 'extension').map((e) => e.attrs['name']);
    assert.deepEqual(extensions, ['public_did', 'freecti_unavailable']);
    assert.ok(!findAll(publicXml, 'action').some((a) => /XML default$/.test(a.attrs['data'] ?? '') && a.attrs['data'] !== '1000 XML default'),
      'only the stock DID file transfers (to extension 1000), nothing dials out');

    // default: the note file is picked up by the stock default/*.xml include, the stock extensions stay.
    // (the stock default.xml holds CDATA, which the test reader does not parse)
    const def = parseXml(preprocess(join(conf, 'dialplan/default.xml')).replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, ''));
    assert.ok(findAll(def, 'extension').length > 30);
    assert.match(preprocess(join(conf, 'dialplan/default.xml')), /Outbound gateway and line-group dialing belongs here/);

    // event socket and xml_curl are whole files.
    const esl = parseXml(preprocess(join(conf, 'autoload_configs/event_socket.conf.xml')));
    assert.equal(last(esl, 'password'), 'Str0ng-esl-pass');
    assert.equal(last(parseXml(preprocess(join(conf, 'autoload_configs/xml_curl.conf.xml'))), 'timeout'), '8');

    // Off by default: switch.conf.xml is not touched.
    assert.equal(last(findAll(parseXml(preprocess(join(conf, 'autoload_configs/switch.conf.xml'))), 'settings')[0]!, 'api-expansion'), undefined);

    // Installing twice is refused rather than adding the line again.
    assert.throws(() => install(conf, generateFsConfig(config).filter((p) => p.install.kind === 'include')), /already has/);
  } finally {
    rmSync(conf, { recursive: true, force: true });
  }
});

test('fsConfig.disableApiExpansion goes into the stock switch.conf.xml <settings>, its other settings stay', () => {
  const conf = mkdtempSync(join(tmpdir(), 'freecti-fsconf-'));
  try {
    cpSync(VANILLA, conf, { recursive: true });
    const config = validateConfig({
      freeswitch: { nodes: [NODE] },
      fsConfig: { disableApiExpansion: true },
      directory: { dialString: '{^^:sip_invite_domain=${dialed_domain}}sofia/internal/${dialed_user}%${dialed_domain}' },
    });
    install(conf, generateFsConfig(config));
    const settings = findAll(parseXml(preprocess(join(conf, 'autoload_configs/switch.conf.xml'))), 'settings')[0];
    assert.ok(settings);
    assert.equal(last(settings, 'api-expansion'), 'false');
    assert.equal(last(settings, 'max-sessions'), '1000', 'the stock settings stay');
    assert.equal(last(settings, 'loglevel'), 'debug');
  } finally {
    rmSync(conf, { recursive: true, force: true });
  }
});

test('parallel REGISTERs: inbound-reg-in-new-thread in the stock internal profile, max-reg-threads in sofia.conf <global_settings>; fsConfig.maxRegThreads 0 emits neither', () => {
  const conf = mkdtempSync(join(tmpdir(), 'freecti-fsconf-'));
  try {
    cpSync(VANILLA, conf, { recursive: true });
    install(conf, generateFsConfig(validateConfig({ freeswitch: { nodes: [NODE] }, fsConfig: { maxRegThreads: 16 } })));
    // sofia.conf.xml also includes ../sip_profiles/*.xml: the internal profile as sofia reads it.
    const sofia = parseXml(preprocess(join(conf, 'autoload_configs/sofia.conf.xml')));
    const global = findAll(sofia, 'global_settings')[0];
    assert.ok(global);
    assert.equal(last(global, 'max-reg-threads'), '16');
    assert.equal(last(global, 'log-level'), '0', 'the stock global settings stay');
    const internal = findAll(sofia, 'profile').find((p) => p.attrs['name'] === 'internal');
    const settings = internal === undefined ? undefined : findAll(internal, 'settings')[0];
    assert.ok(settings);
    assert.equal(last(settings, 'inbound-reg-in-new-thread'), 'true');
    assert.equal(last(settings, 'sip-port'), '$${internal_sip_port}', 'the stock profile settings stay');
    const external = findAll(sofia, 'profile').find((p) => p.attrs['name'] === 'external');
    assert.equal(external === undefined ? undefined : last(external, 'inbound-reg-in-new-thread'), undefined, 'only the registration profile');
  } finally {
    rmSync(conf, { recursive: true, force: true });
  }
  const none = generateFsConfig(validateConfig({ freeswitch: { nodes: [NODE] }, fsConfig: { maxRegThreads: 0 } }));
  assert.deepEqual(none.filter((p) => /registration|sofia-global/.test(p.path)), []);
});

test('a profile with no <settings> (or a missing profile) is a clear error, never a silent no-op', () => {
  const [part] = generateFsConfig(validateConfig({ freeswitch: { nodes: [NODE] } })).filter((p) => p.install.kind === 'include' && p.install.inside === 'settings');
  const install = part?.install;
  assert.ok(install?.kind === 'include');
  assert.throws(() => addInclude('<profile name="external"></profile>', install), /has no <settings> element/);
});

test('the banner names the conf directories, the order (freecti first, event socket last, fs_cli -p) and each part\'s place', () => {
  const config = validateConfig({ freeswitch: { nodes: [NODE] }, fsConfig: { inboundProfile: 'carriers', publicContext: 'from-carrier' } });
  const text = renderFsConfig(generateFsConfig(config), config);
  for (const needle of [
    '/usr/local/freeswitch/etc/freeswitch', '/etc/freeswitch', 'global_getvar conf_dir', 'Start freecti first',
    'reload mod_event_socket LAST', 'fs_cli command needs -p <the new password>', 'sofia profile carriers restart',
    '"carriers" SIP profile must exist and run',
    'NEW file autoload_configs/freecti/acl-lists.xml, then ADD this line to autoload_configs/acl.conf.xml as the last line inside <network-lists>',
    '<X-PRE-PROCESS cmd="include" data="freecti/acl-lists.xml"/>',
    'NEW file sip_profiles/freecti/carriers-settings.xml, then ADD this line to sip_profiles/carriers.xml as the last line inside <settings>',
    'REPLACE the file dialplan/from-carrier.xml', '<X-PRE-PROCESS cmd="include" data="from-carrier/*.xml"/>',
    'NEW file dialplan/default/00_freecti.xml',
  ]) {
    assert.ok(text.includes(needle), needle);
  }
});
