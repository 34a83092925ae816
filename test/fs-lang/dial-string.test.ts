/** Dial strings (src/fs-lang/dial-string.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDialString, parseEndpoint } from '../../src/fs-lang/dial-string.js';
import { FsSyntaxError } from '../../src/fs-lang/scan.js';

test('every endpoint the module knows', () => {
  assert.deepEqual(parseEndpoint('user/1000'), { kind: 'user', user: '1000', domain: undefined });
  assert.deepEqual(parseEndpoint('USER/1000@example.com'), { kind: 'user', user: '1000', domain: 'example.com' });
  assert.deepEqual(parseEndpoint('sofia/gateway/gw1/13800000000'), { kind: 'gateway', gateway: 'gw1', number: '13800000000' });
  assert.deepEqual(parseEndpoint('sofia/external/1380000000@vosIP'), { kind: 'sofia', profile: 'external', user: '1380000000', host: 'vosIP', external: true });
  assert.deepEqual(parseEndpoint('sofia/external/abc@27.156.125.43:6066'), { kind: 'sofia', profile: 'external', user: 'abc', host: '27.156.125.43:6066', external: true });
  assert.deepEqual(parseEndpoint('sofia/internal/1000%example.com;transport=tcp'), { kind: 'sofia', profile: 'internal', user: '1000', host: 'example.com', external: false });
  assert.deepEqual(parseEndpoint('sofia/external/1@[2001:db8::1]:5060'), { kind: 'sofia', profile: 'external', user: '1', host: '[2001:db8::1]:5060', external: true });
  assert.deepEqual(parseEndpoint('linegroup/default/+8613800000000'), { kind: 'linegroup', group: 'default', number: '+8613800000000' });
  // Seed users name line groups in Chinese (issue 13 item 5).
  assert.deepEqual(parseEndpoint('linegroup/线路组/1'), { kind: 'linegroup', group: '线路组', number: '1' });
  assert.deepEqual(parseEndpoint('linegroup/默认_电信-2/5555'), { kind: 'linegroup', group: '默认_电信-2', number: '5555' });
  assert.deepEqual(parseEndpoint('loopback/1000'), { kind: 'loopback', extension: '1000', context: undefined, dialplan: undefined });
  assert.deepEqual(parseEndpoint('loopback/1000/default/XML'), { kind: 'loopback', extension: '1000', context: 'default', dialplan: 'XML' });
  assert.deepEqual(parseEndpoint('group/sales@example.com'), { kind: 'group', group: 'sales', domain: 'example.com' });
  assert.deepEqual(parseEndpoint('error/USER_BUSY'), { kind: 'error', cause: 'USER_BUSY' });
  assert.deepEqual(parseEndpoint('error/17'), { kind: 'error', cause: '17' });
  assert.deepEqual(parseEndpoint('verto.rtc/1000@example.com'), { kind: 'verto', user: '1000', domain: 'example.com' });
  assert.deepEqual(parseEndpoint('freetdm/1/a/13800000000'), { kind: 'freetdm', body: '1/a/13800000000' });
  assert.deepEqual(parseEndpoint('skinny/x/y'), { kind: 'other', type: 'skinny', body: 'x/y' });
});

test('malformed endpoints are syntax errors', () => {
  for (const bad of [
    '', '/x', 'user', 'user/', 'user/1000@', 'user/a@b@c', 'user/10 00', 'user/${x}', 'user/1000@${domain}', 'sofia/gateway/gw', 'sofia/gateway/gw/1/2', 'sofia/gateway/g w/1',
    'sofia/external/1000', 'sofia/external/@host', 'sofia/external/1@h/x', 'sofia/external/1@host;fs_path=sip:x', 'linegroup/x/abc', 'linegroup/线路 组/1', 'linegroup/线路组:1/1', 'linegroup/x',
    'loopback/app=system:ls', 'loopback/1/2/3/4', 'group/a b', 'error/x', 'error/USER BUSY', 'verto.rtc/1000', 'freetdm/1/x/1',
  ]) {
    assert.throws(() => parseEndpoint(bad), FsSyntaxError, bad);
  }
});

test('blocks, legs, groups and threads', () => {
  const d = parseDialString("<ent=1>{a=1,b='x,y'}[leg=1][leg2=2]user/1000,user/1001|sofia/gateway/gw/123:_:{c=3}linegroup/default/5555");
  assert.deepEqual(d.vars.map((v) => [v.name, v.value]), [['ent', '1'], ['a', '1'], ['b', 'x,y'], ['c', '3']]);
  assert.equal(d.head, "<ent=1>{a=1,b='x,y'}");
  assert.deepEqual(d.legs.map((l) => l.endpoint.kind), ['user', 'user', 'gateway', 'linegroup']);
  assert.deepEqual(d.legs[0]?.vars.map((v) => v.name), ['leg', 'leg2']);
  assert.deepEqual(d.legs[0]?.legBlocks, ['leg=1', 'leg2=2']);
  assert.equal(d.legs[1]?.body, 'user/1001');
  const text = "<ent=1>{a=1,b='x,y'}[leg=1][leg2=2]user/1000,user/1001|sofia/gateway/gw/123:_:{c=3}linegroup/default/5555";
  for (const leg of d.legs) assert.equal(text.slice(leg.start, leg.start + leg.text.length), leg.text, 'a leg knows where it is');
  assert.deepEqual(d.legs.map((l) => l.text), ['[leg=1][leg2=2]user/1000', 'user/1001', 'sofia/gateway/gw/123', 'linegroup/default/5555']);
  const seed = parseDialString("{origination_caller_id_number=121,execute_on_answer_start_record='record_session \\${record_filename}'}linegroup/default/5555");
  assert.deepEqual(seed.vars[1], { name: 'execute_on_answer_start_record', value: 'record_session \\${record_filename}', nolocal: false });
  assert.deepEqual(parseDialString('  user/1000  ').legs.map((l) => l.body), ['user/1000']);
});

test('[...] and quotes protect a comma between legs', () => {
  const d = parseDialString("[a=1,b=2]user/1000,[c='3,4']user/1001");
  assert.equal(d.legs.length, 2);
  assert.deepEqual(d.legs[1]?.vars, [{ name: 'c', value: '3,4', nolocal: false }]);
});

test('| is cut outside quotes only: brackets do not protect it', () => {
  assert.throws(() => parseDialString('[a=x|y]user/1000'), FsSyntaxError);
  assert.equal(parseDialString("[a='x|y']user/1000").legs.length, 1);
});

test(':_: is cut before anything, even inside a block', () => {
  assert.throws(() => parseDialString('{a=:_:}user/1000'), FsSyntaxError);
  assert.throws(() => parseDialString("{a=':_:'}user/1000"), FsSyntaxError, 'quotes do not protect :_: either');
  assert.throws(() => parseDialString('<a=:_:>user/1000'), FsSyntaxError);
  assert.throws(() => parseDialString('user/1000,[a=:_:]user/1001'), FsSyntaxError);
  assert.equal(parseDialString('user/1000:_:user/1001').legs.length, 2);
});

test('a block ends at the first closing bracket, quotes notwithstanding', () => {
  assert.throws(() => parseDialString("{a='}'}user/1000"), FsSyntaxError);
  assert.throws(() => parseDialString("[a=']']user/1000"), FsSyntaxError);
});

test('malformed dial strings are syntax errors', () => {
  for (const bad of ['', '   ', '{a=1', '{a=1}', '[a=1]', '{${x}=1}user/1000', 'user/1000,', ',user/1000', 'user/1000||user/1001', 'user/1000:_:', 'user/1000,{a=1}', '<a=1']) {
    assert.throws(() => parseDialString(bad), FsSyntaxError, bad);
  }
});
