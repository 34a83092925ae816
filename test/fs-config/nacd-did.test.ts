/** `freecti fs-config`: the nin_did / nout_did extensions (fsConfig.nacdDidIn / nacdDidOut). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { isFreectiError } from '../../src/errors.js';
import { generateFsConfig } from '../../src/fs-config/generate.js';
import { findAll, parseXml } from '../routing/xml-check.js';

const NODE = { name: 'fs1', host: '127.0.0.1', port: 8021, password: 'Str0ng-esl-pass' };

test('no patterns: no DID parts', () => {
  const all = generateFsConfig(validateConfig({ freeswitch: { nodes: [NODE] } }));
  assert.ok(!all.some((f) => f.path.includes('did')));
});

test('nin_did in the public context, nout_did (continue) in the internal one, both to the outbound socket', () => {
  const config = validateConfig({ freeswitch: { nodes: [NODE] }, eslOutbound: { host: '0.0.0.0', port: 8090 }, fsConfig: { nacdDidIn: '^(10002|4008&\\d+)$', nacdDidOut: '^18621(\\d+)$' } });
  const all = generateFsConfig(config);
  const nin = all.find((f) => f.path === 'dialplan/public/50_freecti_nin_did.xml');
  const nout = all.find((f) => f.path === 'dialplan/default/50_freecti_nout_did.xml');
  assert.ok(nin !== undefined && nout !== undefined);
  const inXml = parseXml(nin.content);
  assert.equal(findAll(inXml, 'condition')[0]?.attrs['expression'], '^(10002|4008&\\d+)$');
  assert.deepEqual(findAll(inXml, 'action').map((a) => `${a.attrs['application']} ${a.attrs['data']}`), ['set nacd_did=in', 'socket 127.0.0.1:8090 async full', 'hangup NORMAL_TEMPORARY_FAILURE']);
  const outXml = parseXml(nout.content);
  assert.equal(findAll(outXml, 'extension')[0]?.attrs['continue'], 'true');
  assert.deepEqual(findAll(outXml, 'action').map((a) => `${a.attrs['application']} ${a.attrs['data']}`), ['set nacd_did=out', 'socket 127.0.0.1:8090 async full']);
  assert.equal(nin.install.kind, 'new');
});

test('a pattern that is not a regular expression stops the config', () => {
  assert.throws(() => validateConfig({ freeswitch: { nodes: [NODE] }, fsConfig: { nacdDidIn: '^(10002$' } }), (e: unknown) => isFreectiError(e, 'CONFIG_INVALID') && /nacdDidIn/.test((e as Error).message));
});
