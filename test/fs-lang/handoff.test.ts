/**
 * freecti's one hand-off of a call to its outbound socket (src/fs-lang/handoff.ts): the
 * uuid_transfer form (nacd_transfer) and the originate form (nwaycallout) are built from
 * the same issued object and the same host:port pattern; text never reaches `socket`.
 * Also the uuid_transfer check itself: FreeSWITCH splits its arguments with
 * switch_separate_string, so a quoted inline list is one word (spaces included).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handoffDestination, queueHandoff, socketHandoff, type SocketHandoff } from '../../src/fs-lang/handoff.js';
import { FsPolicy, PolicyRefusal } from '../../src/fs-lang/policy.js';

const UUID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
const CLI = { outbound: true, command: () => true };

describe('uuid_transfer inline lists', () => {
  it('reads a quoted inline list as one word, as FreeSWITCH does (spaces inside the quotes kept)', () => {
    const policy = new FsPolicy();
    // mod_commands' transfer_function: argv[1] = "set:greeting=a b,park", argv[2] = "inline".
    assert.doesNotThrow(() => policy.command('uuid_transfer', `${UUID} 'set:greeting=a b,park' inline`, CLI));
    assert.doesNotThrow(() => policy.command('uuid_transfer', `${UUID} -bleg 'playback:/tmp/x y.wav,park' inline`, CLI));
    // ...and what is in the quotes is still checked application by application.
    assert.throws(() => policy.command('uuid_transfer', `${UUID} 'set:a=b,socket:10.0.0.1:8084 async full' inline`, CLI), (e) => e instanceof PolicyRefusal && /socket/.test(e.message));
    assert.throws(() => policy.command('uuid_transfer', `${UUID} 'set:a=b c,system:ls' inline`, CLI), PolicyRefusal);
    assert.throws(() => policy.command('uuid_transfer', `${UUID} 'park' inline public extra`, CLI), PolicyRefusal);
  });
});

describe('the hand-off', () => {
  it('one issued object serves uuid_transfer and originate, to a group or a queue', () => {
    const policy = new FsPolicy();
    const group = socketHandoff('120', '127.0.0.1:8084');
    assert.equal(handoffDestination(group), `'set:nacd_group=120,socket:127.0.0.1:8084 async full' inline`);
    assert.equal(policy.socketTransfer(UUID, group), `${UUID} 'set:nacd_group=120,socket:127.0.0.1:8084 async full' inline`);
    const queue = queueHandoff('sales@east', '[::1]:8084');
    assert.equal(
      policy.socketOriginate('{origination_uuid=' + UUID + '}sofia/gateway/gw1/5550', queue, { outbound: true }),
      `{origination_uuid=${UUID}}sofia/gateway/gw1/5550 'set:freecti_queue=sales@east,socket:[::1]:8084 async full' inline`,
    );
  });

  it('refuses copies, forgeries, bad names and addresses, and a call URL the scope may not dial', () => {
    const policy = new FsPolicy();
    const real = socketHandoff('120', '127.0.0.1:8084');
    assert.throws(() => policy.socketOriginate('sofia/gateway/gw1/1', { ...real }, { outbound: true }), /not a hand-off freecti made/);
    assert.throws(() => policy.socketOriginate('sofia/gateway/gw1/1', { variable: 'nacd_group', value: '1', socket: '10.0.0.1:9' } as SocketHandoff, { outbound: true }), /not a hand-off/);
    assert.throws(() => queueHandoff('q,socket:x', '127.0.0.1:8084'), /not a queue name/);
    assert.throws(() => socketHandoff('120', '1.2.3.4:80 async'), /not host:port/);
    // The call URL is checked like any originate's: a hook or an endpoint the scope may not dial is refused.
    assert.throws(() => policy.socketOriginate('{api_on_answer=system ls}sofia/gateway/gw1/1', real, { outbound: true }), PolicyRefusal);
    assert.throws(() => policy.socketOriginate('sofia/gateway/gw1/1', real, { outbound: false }), PolicyRefusal);
    assert.throws(() => policy.socketOriginate("sofia/gateway/gw1/1 '&system(ls)'", real, { outbound: true }), PolicyRefusal);
    // The same text from a key that may originate anything is refused: socket is in no table.
    const text = policy.socketOriginate('sofia/gateway/gw1/1', real, { outbound: true });
    assert.throws(() => policy.command('originate', text, CLI), (e) => e instanceof PolicyRefusal && /socket/.test(e.message));
  });
});
