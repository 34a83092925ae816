import { test } from 'node:test';
import assert from 'node:assert/strict';
import { APPLICATIONS } from '../../src/fs-lang/applications.js';
import { FsPolicy, type Scope } from '../../src/fs-lang/policy.js';
import { dialplanDocument } from '../../src/routing/dialplan-xml.js';
import { actionRefusal, parseActions as parseWith } from '../../src/routing/reply.js';

const policy = new FsPolicy();
const OUTBOUND: Scope = { outbound: true, context: 'default' };
const parseActions = (reply: unknown) => parseWith(reply, policy, OUTBOUND);
const refusal = (application: string, data: string) => actionRefusal(policy, OUTBOUND, application, data);
import { findAll, parseXml } from './xml-check.js';

test('the seed example reply is accepted as is', () => {
  const reply = [
    { application: 'playback', data: '/ddt/fs/sounds/cti/echotest.wav' },
    { application: 'bridge', data: 'user/10001' },
  ];
  assert.deepEqual(parseActions(reply), { ok: true, actions: reply });
});

test('shapes that are refused', () => {
  const reasons = [null, 'x', 3, [], [1], [{}], [{ application: 1 }], [{ application: 'answer', data: true }], new Array(65).fill({ application: 'answer' })].map((r) => {
    const parsed = parseActions(r);
    assert.equal(parsed.ok, false, JSON.stringify(r));
    return parsed.ok ? '' : parsed.reason;
  });
  assert.ok(reasons.every((r) => r.length > 0));
  assert.deepEqual(parseActions({ application: 'sleep', data: 1000 }), { ok: true, actions: [{ application: 'sleep', data: '1000' }] });
});

test('applications that hand over the host, the call or other calls are not in the allow-list', () => {
  for (const name of ['system', 'bgsystem', 'bg_system', 'spawn', 'lua', 'luarun', 'perl', 'python', 'javascript', 'eval', 'expand', 'socket', 'curl', 'set_global', 'eavesdrop', 'three_way', 'intercept', 'userspy', 'set_user', 'bind_digit_action', 'event']) {
    assert.equal(APPLICATIONS.has(name) && name !== 'eavesdrop', false, name);
    assert.match(refusal(name, '') ?? '', /not in the allow-list|needs the 'eavesdrop' grant/, name);
  }
  assert.match(refusal('Answer', '') ?? '', /plain name/);
  assert.match(refusal('answer;system', '') ?? '', /plain name/);
});

test('data that runs commands later is refused; ordinary variables are fine', () => {
  const refused = [
    'x=${system(id)}',
    'x=${ system (id)}',
    'api_hangup_hook=system id',
    'nolocal:api_on_answer=x',
    'execute_on_answer=lua x',
    'session_in_hangup_hook=true',
    '^^:a=1:exec_after_bridge_app=lua',
    '{bridge_pre_execute_bleg_app=lua,x=1}user/1001',
    '[api_reporting_hook=x]sofia/gateway/gw/1',
    // Values a remote party can fill with ${...} (P-Asserted-Identity, REFER): FreeSWITCH would run them (caller-fields-probe.txt).
    'effective_caller_id_number=${caller_id_number}',
    'effective_caller_id_name=${caller_id_name}',
    'x=${destination_number}',
  ];
  for (const data of refused) assert.ok(refusal('set', data) !== undefined, data);
  const fine = ['hangup_after_bridge=true', 'effective_caller_id_number=${ani}', 'ringback=$${hold_music}', 'continue_on_fail=true'];
  for (const data of fine) assert.equal(refusal('set', data), undefined, data);
  assert.equal(refusal('bridge', '{origination_caller_id_number=123}user/1001'), undefined);
  assert.equal(refusal('playback', '$${hold_music}'), undefined);
});

test('the document is well-formed XML for any data, and round-trips', () => {
  const nasty = `</action><action application="system" data="x"/> & ' " < > ]]> <!-- -->`;
  const xml = dialplanDocument('pub"lic', [{ application: 'playback', data: nasty }, { application: 'answer', data: '' }]);
  const doc = parseXml(xml);
  assert.equal(findAll(doc, 'context')[0]?.attrs['name'], 'pub"lic');
  const actions = findAll(doc, 'action');
  assert.equal(actions.length, 2);
  assert.equal(actions[0]?.attrs['data'], nasty);
  assert.equal(actions[1]?.attrs['data'], undefined);
  assert.deepEqual(findAll(doc, 'condition')[0]?.attrs, {}, 'a condition without a field always matches');
});

test('property: any accepted data survives the XML document unchanged', async () => {
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(fc.string({ maxLength: 60, unit: 'binary' }), fc.constantFrom('playback', 'bridge', 'set', 'log'), (data, application) => {
      const parsed = parseActions([{ application, data }]);
      if (!parsed.ok) return true;
      const xml = dialplanDocument('default', parsed.actions);
      const action = findAll(parseXml(xml), 'action')[0];
      return action?.attrs['application'] === application && (action.attrs['data'] ?? '') === data;
    }),
    { numRuns: 1500 },
  );
});
