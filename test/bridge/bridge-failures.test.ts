/** cti_bridge replies that do not bridge: hangup replies, bad replies, failing applications. */
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
  });
  after(async () => {
    await app.close();
    await h.stop();
  });

  async function run(answer: AppReply, args = '3000 300 1') {
    reply = answer;
    return h.call({ variables: { cti_bridge: `${app.url} ${args}` } });
  }

  describe('hangup replies', () => {
    it('cause number: no bridge, hangup with the cause name, hangup notification', async () => {
      const { fs, result } = await run({ body: JSON.stringify({ dial: { type: 'hangup', cause: 17 } }) });
      assert.deepEqual([fs.bridged, fs.executed, fs.hangups], [[], [], ['USER_BUSY']]);
      assert.equal(result.cause, 'USER_BUSY');
      assert.deepEqual(app.actions(fs.aUuid), ['hangup']);
    });

    it('sipcode: `respond <code>` to the unanswered caller, then the mapped cause', async () => {
      const { fs } = await run({ body: JSON.stringify({ dial: { type: 'hangup', sipcode: 486 } }) });
      assert.deepEqual([fs.executed, fs.hangups], [['respond 486'], ['USER_BUSY']]);
    });
  });

  describe('bad replies and failing applications end the call with a documented cause', () => {
    const cases: [string, AppReply, string, string][] = [
      ['invalid JSON', { body: '{"dial": ' }, 'INVALID_MSG_UNSPECIFIED', 'FREECTI_ERR_WEBHOOK_BAD_REPLY'],
      ['unknown type', { body: JSON.stringify({ dial: { type: 'fax' } }) }, 'INVALID_MSG_UNSPECIFIED', 'FREECTI_ERR_BRIDGE_BAD_REPLY'],
      ['invalid number', { body: JSON.stringify({ dial: { type: 'gateway', gateway: 'gw', number: '1|user/1000' } }) }, 'INVALID_MSG_UNSPECIFIED', 'FREECTI_ERR_BRIDGE_BAD_REPLY'],
      ['variable expansion', { body: JSON.stringify({ variables: { a: '${system(id)}' }, dial: { type: 'user', user: '1000' } }) }, 'INVALID_MSG_UNSPECIFIED', 'FREECTI_ERR_BRIDGE_BAD_REPLY'],
      ['HTTP 500', { status: 500, body: 'oops' }, 'NORMAL_TEMPORARY_FAILURE', 'FREECTI_ERR_WEBHOOK_BAD_STATUS'],
      ['too slow', { body: '{}', delayMs: 1800 }, 'NORMAL_TEMPORARY_FAILURE', 'FREECTI_ERR_WEBHOOK_TIMEOUT'],
    ];
    for (const [name, answer, cause, code] of cases) {
      it(`${name}: ${cause}, cti_bridge_error=${code}, one warn line`, async () => {
        const { fs, result } = await run(answer);
        assert.deepEqual(fs.bridged, []);
        assert.deepEqual(fs.executed, [`set cti_bridge_error=${code}`]);
        assert.deepEqual(fs.hangups, [cause]);
        assert.equal(result.error?.code, code);
        const line = h.logs.find((l) => l['uuid'] === fs.aUuid && l['level'] === 40 && String(l['msg']).startsWith('cti_bridge failed'));
        assert.ok(line, 'warn log line');
        assert.equal(line['code'], code);
        assert.deepEqual(app.actions(fs.aUuid), ['hangup']);
      });
    }

    it('bad cti_bridge arguments: INVALID_MSG_UNSPECIFIED without asking anyone', async () => {
      const before = app.requests.length;
      const { fs } = await h.call({ variables: { cti_bridge: 'ftp://nowhere 3000 3000 1' } });
      assert.deepEqual(fs.hangups, ['INVALID_MSG_UNSPECIFIED']);
      assert.deepEqual(fs.executed, ['set cti_bridge_error=FREECTI_ERR_BRIDGE_BAD_ARGS']);
      assert.equal(app.requests.length, before);
    });

    it('unreachable application: NORMAL_TEMPORARY_FAILURE', async () => {
      const { fs } = await h.call({ variables: { cti_bridge: 'http://127.0.0.1:9/x 300 300 0' } });
      assert.deepEqual(fs.hangups, ['NORMAL_TEMPORARY_FAILURE']);
      assert.deepEqual(fs.executed, ['set cti_bridge_error=FREECTI_ERR_WEBHOOK_UNREACHABLE']);
    });
  });
});
