/**
 * withLeadingVars: freecti's variables joined into a dial string's own leading block, read
 * back the way FreeSWITCH reads the block (parseVarBlock), including a block with its own
 * separator (`{^^:a=1:b=2}`), where a `,` join would glue freecti's variable to the last value.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FsSyntaxError } from '../../src/fs-lang/scan.js';
import { parseVarBlock, withLeadingVars } from '../../src/fs-lang/var-block.js';

const read = (text: string): [string, string][] => {
  const m = /^\{([^{}]*)\}/.exec(text);
  assert.ok(m, text);
  return parseVarBlock(m[1] ?? '').map((v) => [v.name, v.value]);
};

test('no block, an empty block, a comma block', () => {
  assert.equal(withLeadingVars(['x=1'], 'user/1001'), '{x=1}user/1001');
  assert.equal(withLeadingVars(['x=1'], '{}user/1001'), '{x=1}user/1001');
  assert.equal(withLeadingVars(['x=1', 'y=2'], ' {a=b}sofia/gateway/gw/5551234 '), '{a=b,x=1,y=2}sofia/gateway/gw/5551234');
});

test("a {^^:...} block gets the variables with its own separator, each read back on its own", () => {
  const out = withLeadingVars(['origination_caller_id_number=4008001234', 'leg_timeout=20'], '{^^:a=1:b=x,y}sofia/gateway/gw/5551234');
  assert.equal(out, '{^^:a=1:b=x,y:origination_caller_id_number=4008001234:leg_timeout=20}sofia/gateway/gw/5551234');
  assert.deepEqual(read(out), [['a', '1'], ['b', 'x,y'], ['origination_caller_id_number', '4008001234'], ['leg_timeout', '20']]);
  assert.equal(withLeadingVars(['x=1'], '{^^;}user/1001'), '{^^;x=1}user/1001');
});

test("a variable holding the block's separator is refused, not split", () => {
  assert.throws(() => withLeadingVars(['nacd_ad_data=a:b'], '{^^:a=1}user/1001'), FsSyntaxError);
});
