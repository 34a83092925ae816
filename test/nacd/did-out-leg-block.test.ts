/**
 * DID-out items added to a leg's own `[...]` block: a block with its own separator
 * (`[^^:a=1:b=2]`) gets them joined with that separator, as withLeadingVars does for the
 * `{...}` block; joined with ',' they were glued to the block's last value and the leg
 * left without the DID-out caller id (the extension's own caller id went outside).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { withDidOutBridges } from '../../src/routing/did-out.js';
import { parseDialString } from '../../src/fs-lang/dial-string.js';
import { FsSyntaxError } from '../../src/fs-lang/scan.js';
import { withDidOutCallerId, withNoutRoutes } from '../../src/nacd/did-out.js';

function legVars(text: string, index: number): Record<string, string> {
  const leg = parseDialString(text).legs[index];
  assert.ok(leg !== undefined, `leg ${index} of ${text}`);
  return Object.fromEntries(leg.vars.map((v) => [v.name, v.value]));
}

test('withDidOutCallerId: a leg block with its own ^^ separator gets the caller id as its own variables', () => {
  const out = withDidOutCallerId('user/1001,[^^:a=1:b=2]sofia/gateway/g/1', '4008001234');
  assert.deepEqual(legVars(out, 1), { a: '1', b: '2', origination_caller_id_number: '4008001234', origination_caller_id_name: '4008001234' });
  assert.deepEqual(legVars(out, 0), {});
});

test('withNoutRoutes: a nout/ leg with a ^^ block keeps its variables and takes the entry caller id', () => {
  const out = withNoutRoutes('[^^;a=1;b=x,y]nout/1000/13800001111,user/1001', new Map([['1000', { callerId: '4008001234', gateway: 'gw1' }]]));
  assert.equal(parseDialString(out).legs[0]?.body, 'sofia/gateway/gw1/13800001111');
  assert.deepEqual(legVars(out, 0), { a: '1', b: 'x,y', origination_caller_id_number: '4008001234', origination_caller_id_name: '4008001234' });
});

test('a caller id holding the leg block separator is refused, not split', () => {
  assert.throws(() => withDidOutCallerId('user/1001,[^^+a=1]sofia/gateway/g/1', '+4008001234'), FsSyntaxError);
});

test("withDidOutBridges: a caller id that cannot go into a leg's ^^ block leaves that bridge as it is (one warn line), no throw", async () => {
  const lines: string[] = [];
  const log = createLogger('warn', new Writable({ write: (chunk: Buffer, _enc, done) => void (lines.push(chunk.toString()), done()) }));
  const actions = [
    { application: 'bridge', data: 'user/1001,[^^+a=1]sofia/gateway/g/1' },
    { application: 'bridge', data: 'sofia/gateway/g/2' },
  ];
  const out = await withDidOutBridges(actions, { caller: '1000', lookup: async () => ({ callerId: '+4008001234', gateway: 'g' }), policy: new FsPolicy(), scope: { outbound: true }, log, uuid: 'u-1' });
  assert.deepEqual(out[0], actions[0]);
  assert.equal(out[1]?.data, '{origination_caller_id_number=+4008001234,origination_caller_id_name=+4008001234}sofia/gateway/g/2');
  assert.equal(lines.filter((l) => l.includes('u-1')).length, 1);
});
