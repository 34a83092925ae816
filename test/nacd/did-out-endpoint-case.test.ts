/**
 * FreeSWITCH reads endpoint names without regard to letter case (switch_loadable_module.c:
 * switch_core_hash_init_nocase(&loadable_modules.endpoint_hash)), and so does freecti's
 * dial-string parser: `SOFIA/gateway/gw/1` leaves through the gateway. The DID-out's cheap
 * text test must agree, or such a leg leaves showing the extension's own caller id.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { parseDialString } from '../../src/fs-lang/dial-string.js';
import { mayTakeDidOut } from '../../src/nacd/did-out.js';
import { withDidOutBridges } from '../../src/routing/did-out.js';

test('mayTakeDidOut: an endpoint written in capitals is the endpoint the parser reads', () => {
  for (const text of ['SOFIA/gateway/gw/13800001111', 'Sofia/external/13800001111@10.0.0.9', 'LineGroup/carriers/13800001111', 'NOUT/1000/13800001111']) {
    assert.equal(parseDialString(text).legs.length, 1, text);
    assert.equal(mayTakeDidOut(text), true, text);
  }
  assert.equal(mayTakeDidOut('USER/1001'), false);
});

test("withDidOutBridges: a reply's bridge to SOFIA/gateway/... shows the caller's DID-out caller id", async () => {
  const log = createLogger('silent', new Writable({ write: (_c: Buffer, _e, done) => done() }));
  const actions = [{ application: 'bridge', data: 'SOFIA/gateway/gw/13800001111' }];
  let asked = 0;
  const lookup = async (): Promise<{ callerId: string; gateway: string }> => {
    asked += 1;
    return { callerId: '4008001234', gateway: 'gw' };
  };
  const out = await withDidOutBridges(actions, { caller: '1000', lookup, policy: new FsPolicy(), scope: { outbound: true }, log, uuid: 'u-2' });
  assert.equal(asked, 1);
  assert.equal(out[0]?.data, '{origination_caller_id_number=4008001234,origination_caller_id_name=4008001234}SOFIA/gateway/gw/13800001111');
});
