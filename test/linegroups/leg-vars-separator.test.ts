/**
 * A line-group leg whose own `[...]` block uses its own separator (`[^^:a=1:b=x,y]`, as
 * FreeSWITCH allows): freecti's line variables (freecti_linegroup, freecti_line,
 * freecti_lease, which the bridge and the lease reaper find the B leg's hangup by) are
 * added so FreeSWITCH reads each as its own variable; joined with ',' behind a ':' block
 * they were glued to the block's last value. Reached by `[^^...]linegroup/...` dial strings
 * and by `nout/` legs whose DID-out entry names a line group (src/nacd/did-out.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDialString } from '../../src/fs-lang/dial-string.js';
import { buildLineDialString, parseLinegroupDialString } from '../../src/linegroups/dial-string.js';
import { lineSchema } from '../../src/linegroups/schema.js';
import { withNoutRoutes } from '../../src/nacd/did-out.js';

function legVars(text: string): Record<string, string> {
  const leg = parseDialString(text).legs[0];
  assert.ok(leg !== undefined);
  return Object.fromEntries(leg.vars.map((v) => [v.name, v.value]));
}

const line = lineSchema.parse({ id: 'c1', gateway: 'gwc1', variables: { sip_h_X_Line: 'c1' } });

test("a [^^:...] leg block keeps its variables and freecti's line variables stay separate", () => {
  const target = parseLinegroupDialString('[^^:a=1:b=x,y]linegroup/carriers/13800001111');
  assert.ok(target !== undefined);
  const out = buildLineDialString(target, line, 'lease-1');
  assert.deepEqual(legVars(out), { a: '1', b: 'x,y', freecti_linegroup: 'carriers', freecti_line: 'c1', freecti_lease: 'lease-1', sip_h_X_Line: 'c1' });
  assert.equal(parseDialString(out).legs[0]?.body, 'sofia/gateway/gwc1/13800001111');
});

test('a nout/ leg with a [^^;...] block routed through a line group keeps the DID-out caller id and the lease', () => {
  const routed = withNoutRoutes('[^^;a=1]nout/1000/13800001111', new Map([['1000', { callerId: '4008001234', linegroup: 'carriers' }]]));
  const target = parseLinegroupDialString(routed);
  assert.ok(target !== undefined);
  const vars = legVars(buildLineDialString(target, line, 'lease-2'));
  assert.equal(vars['origination_caller_id_number'], '4008001234');
  assert.equal(vars['origination_caller_id_name'], '4008001234');
  assert.equal(vars['freecti_lease'], 'lease-2');
  assert.equal(vars['a'], '1');
});

test('a block without its own separator is kept as written', () => {
  const target = parseLinegroupDialString("[a=1,b='x y']linegroup/carriers/13800001111");
  assert.equal(target?.legVars, "a=1,b='x y'");
});
