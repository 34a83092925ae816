/**
 * DID-out on the cti_bridge / cti_dial path (issue 11 item 5, docs/nacd.md "DID"): a call
 * from an extension with a DID-out entry dials out showing the entry's caller id when the
 * reply sets none; replies with their own caller id, and internal dials, are unchanged.
 * The fake FreeSWITCH's outbound call comes from extension 1000.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAppServer, type AppReply, type AppServer } from './app-server.js';
import { startHarness, type BridgeHarness } from './harness.js';
import { planDial, withDidOutCallerId } from '../../src/bridge/dial-target.js';

describe('cti_bridge with the DID-out table', () => {
  let h: BridgeHarness;
  let app: AppServer;
  let reply: AppReply = { body: '{}' };
  const asked: string[] = [];
  before(async () => {
    h = await startHarness({
      didOutCallerId: async (extension) => {
        asked.push(extension);
        return extension === '1000' ? '4008001234' : null;
      },
    });
    app = await startAppServer(() => reply);
    await h.resolver.store.put('carriers', { lines: [{ id: 'c1', gateway: 'gwc1' }] });
  });
  after(async () => {
    await app.close();
    await h.stop();
  });

  it('a gateway dial without a caller id shows the extension\'s DID', async () => {
    reply = { body: JSON.stringify({ dial: { type: 'gateway', gateway: 'gw1', number: '13800001111' } }) };
    const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` }, bridges: ['answered'] });
    assert.deepEqual(fs.bridged, ['{origination_caller_id_number=4008001234}sofia/gateway/gw1/13800001111']);
    assert.equal(asked.at(-1), '1000');
  });

  it('a line-group dial (cti_dial, no HTTP) gets it on its line leg', async () => {
    const { fs } = await h.call({ variables: { cti_dial: 'linegroup/carriers/13800002222' }, bridges: ['answered'] });
    assert.match(fs.bridged[0] ?? '', /^\[origination_caller_id_number=4008001234,freecti_linegroup=carriers,freecti_line=c1,freecti_lease=[0-9a-f-]{36}\]sofia\/gateway\/gwc1\/13800002222$/);
  });

  it('a reply with its own caller id, and an internal dial, are left alone', async () => {
    reply = { body: JSON.stringify({ variables: { origination_caller_id_number: '555' }, dial: { type: 'gateway', gateway: 'gw1', number: '13800001111' } }) };
    let { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` }, bridges: ['answered'] });
    assert.deepEqual(fs.bridged, ['{origination_caller_id_number=555}sofia/gateway/gw1/13800001111']);
    reply = { body: JSON.stringify({ dial: { type: 'user', user: '1001' } }) };
    ({ fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` }, bridges: ['answered'] }));
    assert.deepEqual(fs.bridged, ['user/1001']);
  });
});

describe('withDidOutCallerId (pure)', () => {
  it('adds the caller id only to plans that leave without one', () => {
    const plan = (dialstring: string) => planDial({ dial: { type: 'dialstring', dialstring } });
    assert.deepEqual(withDidOutCallerId(plan('sofia/external/13800001111@10.0.0.9'), '400'), { kind: 'dial', dialString: '{origination_caller_id_number=400}sofia/external/13800001111@10.0.0.9', linegroups: false });
    assert.deepEqual(withDidOutCallerId(plan('{a=1}user/1001,sofia/gateway/g/1'), '400'), { kind: 'dial', dialString: '{origination_caller_id_number=400,a=1}user/1001,sofia/gateway/g/1', linegroups: false });
    assert.deepEqual(withDidOutCallerId(plan('[origination_caller_id_number=9]sofia/gateway/g/1'), '400'), plan('[origination_caller_id_number=9]sofia/gateway/g/1'));
    assert.deepEqual(withDidOutCallerId(plan('user/1001'), '400'), plan('user/1001'));
    const lg = withDidOutCallerId(plan('{origination_caller_id_number=7}linegroup/carriers/1'), '400');
    assert.deepEqual(lg, plan('{origination_caller_id_number=7}linegroup/carriers/1'));
    const added = withDidOutCallerId(plan('[x=1]linegroup/carriers/1'), '400');
    assert.equal(added.kind === 'linegroup' ? added.target.legVars : '', 'x=1,origination_caller_id_number=400');
  });
});
