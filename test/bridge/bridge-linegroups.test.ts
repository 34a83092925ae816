/** cti_bridge replies that dial line groups: failover, no line, `cti_dial` without HTTP. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAppServer, type AppReply, type AppServer } from './app-server.js';
import { LINGER_ORDERS } from '../fake-freeswitch/linger.js';
import { startHarness, type BridgeHarness } from './harness.js';

// Every test runs twice: the channel's last events before the disconnect-notice, and after it.
for (const lingerOrder of LINGER_ORDERS) describe(`FreeSWITCH order: ${lingerOrder}`, () => {
  let h: BridgeHarness;
  let app: AppServer;
  let reply: AppReply = { body: '{}' };
  before(async () => {
    h = await startHarness({ lingerOrder });
    app = await startAppServer(() => reply);
    await h.resolver.store.put('sales', {
      maxAttempts: 3,
      lines: [
        { id: 'a', gateway: 'gw-a', priority: 1 },
        { id: 'b', gateway: 'gw-b', priority: 2 },
      ],
    });
    await h.resolver.store.put('tiny', { lines: [{ id: 'only', gateway: 'gw-t', maxConcurrent: 1 }] });
  });
  after(async () => {
    await app.close();
    await h.stop();
  });

  const linegroupReply = JSON.stringify({ variables: { origination_caller_id_number: '555' }, dial: { type: 'dialstring', dialstring: 'linegroup/sales/5551234' } });

  describe('line groups through cti_bridge', () => {
    it('fails over from a congested line to the next; notifications stay once and in order', async () => {
      reply = { body: linegroupReply };
      const { fs, result } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` }, bridges: ['congestion', 'answered'] });
      assert.equal(fs.bridged.length, 2);
      assert.match(fs.bridged[0] ?? '', /^\{origination_caller_id_number=555\}\[freecti_linegroup=sales,freecti_line=a,freecti_lease=[0-9a-f-]{36}\]sofia\/gateway\/gw-a\/5551234$/);
      assert.match(fs.bridged[1] ?? '', /freecti_line=b,.*\]sofia\/gateway\/gw-b\/5551234$/);
      assert.deepEqual(app.actions(fs.aUuid), ['ring', 'answer', 'hangup']);
      assert.deepEqual([result.answered, fs.hangups], [true, ['NORMAL_CLEARING']]);
      const status = await h.resolver.slots.status('sales', (await h.resolver.store.get('sales')).lines);
      assert.deepEqual(status.map((s) => [s.id, s.active, s.failures]), [['a', 0, 1], ['b', 0, 0]]);
    });

    it('continue_on_fail is set on the caller before the first line; an INVALID_GATEWAY line fails over to the second', async () => {
      reply = { body: linegroupReply };
      const { fs, result } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 0` }, bridges: ['invalid-gateway', 'answered'] });
      assert.deepEqual(fs.executed, ['set continue_on_fail=true', 'set hangup_after_bridge=false']);
      const setAt = fs.commands.findIndex((c) => c.headers['execute-app-arg'] === 'continue_on_fail=true');
      const bridgeAt = fs.commands.findIndex((c) => c.headers['execute-app-name'] === 'bridge');
      assert.ok(setAt >= 0 && setAt < bridgeAt);
      assert.deepEqual(fs.bridged.map((d) => d.replace(/^.*\]/, '')), ['sofia/gateway/gw-a/5551234', 'sofia/gateway/gw-b/5551234']);
      assert.deepEqual([result.answered, result.cause, fs.hangups], [true, 'NORMAL_CLEARING', ['NORMAL_CLEARING']]);
      assert.equal(h.lingerTimeouts(), 0);
    });

    it('a group of one attempt: no continue_on_fail, FreeSWITCH ends the call with the failed line\'s real cause', async () => {
      await h.resolver.store.put('once', { maxAttempts: 1, lines: [{ id: 'x', gateway: 'gw-x' }, { id: 'y', gateway: 'gw-y' }] });
      reply = { body: JSON.stringify({ dial: { type: 'linegroup', group: 'once', number: '42' } }) };
      const { fs, result } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` }, bridges: ['congestion', 'answered'] });
      assert.deepEqual([fs.executed, fs.bridged.length], [[], 1]);
      assert.deepEqual([fs.hangups, fs.aHangupCause(), result.cause], [[], 'NORMAL_TEMPORARY_FAILURE', 'NORMAL_TEMPORARY_FAILURE']);
      assert.equal(app.requests.find((r) => r['uuid'] === fs.aUuid && r['action'] === 'hangup')?.['cause'], 'NORMAL_TEMPORARY_FAILURE');
    });

    it('busy on the first line: no failover', async () => {
      reply = { body: linegroupReply };
      const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 0` }, bridges: ['busy', 'answered'] });
      assert.equal(fs.bridged.length, 1);
      assert.deepEqual(fs.hangups, ['USER_BUSY']);
    });

    it('no free line: hangup NORMAL_CIRCUIT_CONGESTION and a log line naming why', async () => {
      const held = await h.resolver.resolveLinegroupDialString('linegroup/tiny/1');
      try {
        reply = { body: JSON.stringify({ dial: { type: 'linegroup', group: 'tiny', number: '5551234' } }) };
        const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` } });
        assert.deepEqual([fs.bridged, fs.hangups, fs.executed], [[], ['NORMAL_CIRCUIT_CONGESTION'], ['set cti_bridge_error=FREECTI_ERR_LINEGROUP_NO_LINE']]);
        const line = h.logs.find((l) => l['group'] === 'tiny' && l['cause'] === 'NORMAL_CIRCUIT_CONGESTION' && l['level'] === 40);
        assert.ok(line);
        assert.deepEqual(line['refusals'], [{ line: 'only', reason: 'concurrency' }]);
        assert.equal(app.requests.find((r) => r['uuid'] === fs.aUuid && r['action'] === 'hangup')?.['cause'], 'NORMAL_CIRCUIT_CONGESTION');
      } finally {
        await h.resolver.release(held.lease);
      }
    });

    it('an unknown group ends the call as a bad reply', async () => {
      reply = { body: JSON.stringify({ dial: { type: 'linegroup', group: 'nosuch', number: '1' } }) };
      const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 0` } });
      assert.deepEqual(fs.hangups, ['INVALID_MSG_UNSPECIFIED']);
      assert.deepEqual(fs.executed, ['set cti_bridge_error=FREECTI_ERR_LINEGROUP_NOT_FOUND']);
    });

    it('cti_dial: a fixed dial string (a routing reply) with linegroup failover, no HTTP', async () => {
      const before = app.requests.length;
      const { fs } = await h.call({ variables: { cti_dial: '{origination_caller_id_number=42}linegroup/sales/777' }, bridges: ['congestion', 'congestion', 'answered'] });
      assert.equal(app.requests.length, before);
      assert.deepEqual(fs.bridged.map((d) => d.replace(/^.*\]/, '')), ['sofia/gateway/gw-a/777', 'sofia/gateway/gw-b/777']);
      assert.deepEqual(fs.hangups, ['NORMAL_TEMPORARY_FAILURE']);
    });

    it('the caller hangs up during the bridge: no failover, the line is not blamed, the slot is free', async () => {
      reply = { body: linegroupReply };
      const lines = (await h.resolver.store.get('sales')).lines;
      const [before] = await h.resolver.slots.status('sales', lines);
      const { fs, result } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` }, bridges: ['caller-hangs-up', 'answered'] });
      assert.equal(fs.bridged.length, 1);
      assert.deepEqual(fs.hangups, []);
      assert.equal(result.answered, false);
      assert.deepEqual(app.actions(fs.aUuid), ['hangup']);
      const [a] = await h.resolver.slots.status('sales', lines);
      assert.deepEqual([a?.id, a?.active, a?.failures], ['a', 0, before?.failures]);
    });

    it('a dial string with several legs resolves each linegroup leg in place and frees it afterwards', async () => {
      reply = { body: JSON.stringify({ dial: { type: 'dialstring', dialstring: 'linegroup/tiny/1,user/1000' } }) };
      const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 0` }, bridges: ['busy'] });
      assert.match(fs.bridged[0] ?? '', /^\[freecti_linegroup=tiny,freecti_line=only,freecti_lease=[0-9a-f-]{36}\]sofia\/gateway\/gw-t\/1,user\/1000$/);
      const [only] = await h.resolver.slots.status('tiny', (await h.resolver.store.get('tiny')).lines);
      assert.equal(only?.active, 0);
    });
  });
});
