/** Channel variable blocks (src/fs-lang/var-block.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FsSyntaxError } from '../../src/fs-lang/scan.js';
import { isVariableName, parseAssignment, parseVarBlock } from '../../src/fs-lang/var-block.js';

test('comma-separated name=value items; FreeSWITCH quotes removed from values', () => {
  assert.deepEqual(parseVarBlock('a=1,b=2'), [
    { name: 'a', value: '1', nolocal: false },
    { name: 'b', value: '2', nolocal: false },
  ]);
  assert.deepEqual(parseVarBlock("a='x,y',b= 2 ,,"), [
    { name: 'a', value: 'x,y', nolocal: false },
    { name: 'b', value: '2', nolocal: false },
  ]);
  assert.deepEqual(parseVarBlock("execute_on_answer='record_session /fs/recording/x.wav'"), [
    { name: 'execute_on_answer', value: 'record_session /fs/recording/x.wav', nolocal: false },
  ]);
  assert.deepEqual(parseVarBlock('a='), [{ name: 'a', value: '', nolocal: false }]);
  assert.deepEqual(parseVarBlock('a=b=c'), [{ name: 'a', value: 'b=c', nolocal: false }]);
  assert.deepEqual(parseVarBlock('话术变量=话术变量的值'), [{ name: '话术变量', value: '话术变量的值', nolocal: false }]);
  assert.deepEqual(parseVarBlock(''), []);
});

test('^^<sep> chooses the separator', () => {
  assert.deepEqual(parseVarBlock('^^:a=1:b=x,y'), [
    { name: 'a', value: '1', nolocal: false },
    { name: 'b', value: 'x,y', nolocal: false },
  ]);
  assert.deepEqual(parseVarBlock('^^;a=1;b=2').map((v) => v.name), ['a', 'b']);
  for (const bad of ['^^', '^^a', '^^=a=1', '^^$a=1', "^^'a=1", '^^{a=1', '^^\\a=1']) assert.throws(() => parseVarBlock(bad), FsSyntaxError, bad);
});

test('nolocal: is taken off the name', () => {
  assert.deepEqual(parseVarBlock('nolocal:sip_h_X-AutoAccept=true,NOLOCAL:a=1'), [
    { name: 'sip_h_X-AutoAccept', value: 'true', nolocal: true },
    { name: 'a', value: '1', nolocal: true },
  ]);
  assert.deepEqual(parseAssignment('nolocal:api_hangup_hook=system ls'), { name: 'api_hangup_hook', value: 'system ls', nolocal: true });
});

test('separators inside brackets still split (FreeSWITCH does the same)', () => {
  // The expansion is cut in two: `a` keeps an unbalanced `${` (the policy refuses it), `y)}` has no '=' and is ignored.
  assert.deepEqual(parseVarBlock('a=${f(x,y)}'), [{ name: 'a', value: '${f(x', nolocal: false }]);
  assert.deepEqual(parseVarBlock('a=[1,2]'), [{ name: 'a', value: '[1', nolocal: false }]);
  assert.deepEqual(parseVarBlock('a=${f(x},b=y)}').map((v) => v.name), ['a', 'b']);
});

test('malformed items are syntax errors', () => {
  for (const bad of ['=1', 'a b=1', '${x}=1', 'a${x}=1', 'nolocal:=1', 'nolocal:${x}=1', "a='x", 'x'.repeat(129) + '=1', '-a=1']) {
    assert.throws(() => parseVarBlock(bad), FsSyntaxError, bad);
  }
  // FreeSWITCH drops the quotes of an item and ignores an item without '='.
  assert.deepEqual(parseVarBlock("'a'=1"), [{ name: 'a', value: '1', nolocal: false }]);
  assert.deepEqual(parseVarBlock('a=1,b'), [{ name: 'a', value: '1', nolocal: false }]);
  assert.deepEqual(parseVarBlock('a'), []);
  assert.throws(() => parseAssignment('no equals'), FsSyntaxError);
});

test('isVariableName accepts literal names only', () => {
  for (const good of ['a', 'sip_h_X-Foo', 'a.b', '话术变量', '_x', '1a']) assert.equal(isVariableName(good), true, good);
  for (const bad of ['', '${x}', 'a b', 'a:b', '.a', 'a=b', "a'"]) assert.equal(isVariableName(bad), false, bad);
});
