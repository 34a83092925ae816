import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseBridgeArgs } from '../../src/bridge/args.js';
import { planDial, type DialPlan } from '../../src/bridge/dial-target.js';
import { parseBridgeReply } from '../../src/bridge/reply.js';
import { contactDialString } from '../../src/bridge/contact.js';
import { isFreectiError } from '../../src/errors.js';

const plan = (reply: unknown): DialPlan => planDial(parseBridgeReply(reply));
const dialString = (reply: unknown): string => {
  const p = plan(reply);
  assert.equal(p.kind, 'dial');
  return p.kind === 'dial' ? p.dialString : '';
};
const refused = (reply: unknown, pattern: RegExp): void => {
  assert.throws(() => plan(reply), (e) => isFreectiError(e, 'BRIDGE_BAD_REPLY') && pattern.test(e.message), JSON.stringify(reply));
};

describe('cti_bridge arguments', () => {
  it('url connect_timeout response_timeout notify_type with the seed defaults', () => {
    assert.deepEqual(parseBridgeArgs('http://app/b?x=1'), { url: 'http://app/b?x=1', connectTimeoutMs: 3000, responseTimeoutMs: 3000, notify: true, method: 'POST' });
    assert.deepEqual(parseBridgeArgs(' https://app/b  1000 2000 0 '), { url: 'https://app/b', connectTimeoutMs: 1000, responseTimeoutMs: 2000, notify: false, method: 'POST' });
    // freecti's option words after the positional ones (docs/bridge.md).
    assert.deepEqual(parseBridgeArgs('http://a/b 1000 method=get continue_on_fail=true'), { url: 'http://a/b', connectTimeoutMs: 1000, responseTimeoutMs: 3000, notify: true, method: 'GET', continueOnFail: true });
    assert.deepEqual(parseBridgeArgs('http://a/b continue_on_fail=false').continueOnFail, false);
    for (const bad of [undefined, '', 'ftp://x', 'not a url', 'http://a 0', 'http://a 100 abc', 'http://a 1 1 2', 'http://a 1 1 1 1', 'http://a method=PUT', 'http://a x=1', 'http://a method=GET 1000', 'http://a continue_on_fail=yes']) {
      assert.throws(() => parseBridgeArgs(bad), (e) => isFreectiError(e, 'BRIDGE_BAD_ARGS'), String(bad));
    }
  });
});

describe('dial types', () => {
  it('gateway: sofia/gateway/<gw>/<number>, variables as an escaped {..} block', () => {
    assert.equal(
      dialString({ variables: { origination_caller_id_number: 123, absolute_codec_string: 'PCMA,PCMU', x: "it's" }, dial: { type: 'gateway', number: 123456, gateway: 'gw' } }),
      "{origination_caller_id_number=123,absolute_codec_string=PCMA\\,PCMU,x=it\\'s}sofia/gateway/gw/123456",
    );
  });

  it('user: user/<ext>[@domain] (seed: `user` is the extension, `number` the fallback); user + another number: dialed at the contact', () => {
    assert.equal(dialString({ dial: { type: 'user', user: '1000' } }), 'user/1000');
    assert.equal(dialString({ dial: { type: 'user', number: '1000', user: '1000' } }), 'user/1000');
    assert.deepEqual(planDial(parseBridgeReply({ variables: { a: 'b' }, dial: { type: 'user', number: '123456', user: 'gw1', domain: 'pbx.example' } })), { kind: 'contact', user: 'gw1', number: '123456', domain: 'pbx.example', vars: '{a=b}' });
    // Behind NAT (seed 001's registration: fs_nat and an url-encoded fs_path) the params stay.
    assert.equal(contactDialString('sofia/internal/sip:121@192.168.31.57:55458;ob;fs_nat=yes;fs_path=sip%3A121%40192.168.31.57%3A55458', '123'), 'sofia/internal/sip:123@192.168.31.57:55458;ob;fs_nat=yes;fs_path=sip%3A121%40192.168.31.57%3A55458');
    assert.equal(contactDialString('sofia/internal/"" <sip:gw1@192.0.2.7:5072>', '123'), 'sofia/internal/sip:123@192.0.2.7:5072');
    assert.equal(contactDialString('error/user_not_registered', '123'), 'error/user_not_registered');
    assert.throws(() => contactDialString('-ERR no reply', '123'), (e) => isFreectiError(e, 'BRIDGE_BAD_REPLY'));
    // The device wrote its contact: an expansion or a second leg in it is never bridged.
    for (const contact of ['sofia/internal/sip:gw1@192.0.2.7:5072;x=${system(id)}', 'sofia/internal/sip:gw1@192.0.2.7:5072;x=1|sofia/gateway/gw/1', "sofia/internal/sip:gw1@192.0.2.7;x='a'"]) {
      assert.throws(() => contactDialString(contact, '123'), (e) => isFreectiError(e, 'BRIDGE_BAD_REPLY'), contact);
    }
    assert.equal(contactDialString('sofia/internal/sip:gw1@[2001:db8::7]:5072;transport=tcp', '123'), 'sofia/internal/sip:123@[2001:db8::7]:5072;transport=tcp');
    assert.equal(dialString({ dial: { type: 'user', number: '1001', domain: 'pbx.example' } }), 'user/1001@pbx.example');
  });

  it('ip: sofia/<profile>/<number>@<ip[:port]>, profile external by default', () => {
    assert.equal(dialString({ dial: { type: 'ip', number: '158', ip: '10.0.0.5' } }), 'sofia/external/158@10.0.0.5');
    assert.equal(dialString({ dial: { type: 'ip', number: '158', ip: '10.0.0.5:5080', sofia: 'trunk' } }), 'sofia/trunk/158@10.0.0.5:5080');
    assert.equal(dialString({ dial: { type: 'ip', number: '158', ip: '[2001:db8::1]:5060' } }), 'sofia/external/158@[2001:db8::1]:5060');
  });

  it('dialstring: raw, sequential and simultaneous, with the reply variables merged into its block', () => {
    const raw = '{ignore_early_media=true}sofia/gateway/gw1/111,sofia/gateway/gw2/222|user/1000';
    assert.equal(dialString({ dial: { type: 'dialstring', dialstring: raw } }), raw);
    assert.equal(dialString({ variables: { a: '1' }, dial: { type: 'dialstring', dialstring: raw } }), `{a=1,${raw.slice(1)}`);
  });

  it('linegroup: one linegroup leg is a failover target; several legs are resolved in place', () => {
    const one = plan({ variables: { a: '1' }, dial: { type: 'dialstring', dialstring: 'linegroup/sales/5551234' } });
    assert.deepEqual(one, { kind: 'linegroup', target: { head: '{a=1}', legVars: '', group: 'sales', number: '5551234' } });
    assert.deepEqual(plan({ dial: { type: 'linegroup', group: 'sales', number: '5551234' } }), { kind: 'linegroup', target: { head: '', legVars: '', group: 'sales', number: '5551234' } });
    assert.deepEqual(plan({ dial: { type: 'dialstring', dialstring: 'linegroup/a/1,user/1000' } }), { kind: 'dial', dialString: 'linegroup/a/1,user/1000', linegroups: true });
  });

  it('hangup: Q.850 number or name, or a SIP code, mapped to FreeSWITCH cause names (seed table)', () => {
    assert.deepEqual(plan({ dial: { type: 'hangup', cause: 16 } }), { kind: 'hangup', cause: 'NORMAL_CLEARING' });
    assert.deepEqual(plan({ dial: { type: 'hangup', cause: '17' } }), { kind: 'hangup', cause: 'USER_BUSY' });
    assert.deepEqual(plan({ dial: { type: 'hangup', cause: 'CALL_REJECTED' } }), { kind: 'hangup', cause: 'CALL_REJECTED' });
    assert.deepEqual(plan({ dial: { type: 'hangup', sipcode: 486 } }), { kind: 'hangup', cause: 'USER_BUSY', sipCode: 486 });
    assert.deepEqual(plan({ dial: { type: 'hangup', cause: 16, sipcode: 500 } }), { kind: 'hangup', cause: 'NORMAL_CLEARING', sipCode: 500 });
    assert.deepEqual(plan({ dial: { type: 'hangup', cause: 606 } }), { kind: 'hangup', cause: 'USER_NOT_REGISTERED' });
  });
});

describe('bad replies', () => {
  it('are refused with BRIDGE_BAD_REPLY naming the problem', () => {
    refused({}, /dial/);
    refused({ dial: { type: 'fax', number: '1' } }, /dial.type 'fax' is not one of/);
    refused({ dial: { type: 'gateway', number: '12;34', gateway: 'gw' } }, /dial.number/);
    refused({ dial: { type: 'gateway', number: '123', gateway: 'gw/../x' } }, /dial.gateway/);
    refused({ dial: { type: 'user' } }, /dial.user/);
    refused({ dial: { type: 'ip', number: '1', ip: '10.0.0.1;transport=tcp' } }, /dial.ip/);
    refused({ dial: { type: 'ip', number: '1', ip: '10.0.0.1:99999' } }, /dial.ip/);
    refused({ dial: { type: 'hangup' } }, /cause/);
    refused({ dial: { type: 'hangup', cause: 999 } }, /not a cause/);
    refused({ dial: { type: 'hangup', sipcode: 200 } }, /sipcode/);
    refused({ variables: { 'bad name': 'x' }, dial: { type: 'user', user: '1000' } }, /variable name/);
    refused({ variables: { x: 'a}b' }, dial: { type: 'user', user: '1000' } }, /'\}' only inside an allowed expansion/);
    refused({ variables: { x: '${system(id)}' }, dial: { type: 'user', user: '1000' } }, /\$\{/);
    refused({ dial: { type: 'dialstring', dialstring: 'sofia/gateway/gw/${destination_number}' } }, /\$\{/);
    refused({ dial: { type: 'dialstring', dialstring: 'loopback/app=system:id' } }, /expected loopback\/<extension>/);
    refused({ dial: { type: 'dialstring', dialstring: 'sofia/gw/1,&system(id)' } }, /expected sofia\/<profile>/);
    refused({ dial: { type: 'dialstring', dialstring: 'user/1000,&system(id)' } }, /'&system\(id\)' is not endpoint\/target/);
    refused({ dial: { type: 'dialstring', dialstring: 'socket/127.0.0.1:8084' } }, /endpoint 'socket' is not allowed/);
    refused({ dial: { type: 'dialstring', dialstring: 'linegroup/a/1;x' } }, /plain number/);
  });

  it('property: any variable value either is refused or comes out escaped inside one {..} block', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (value) => {
        let out: string;
        try {
          out = dialString({ variables: { v: value }, dial: { type: 'user', user: '1000' } });
        } catch (error) {
          return isFreectiError(error, 'BRIDGE_BAD_REPLY');
        }
        // The block ends at the first unescaped '}' and no unescaped ',' splits the value.
        const block = out.slice(1, out.indexOf('}user/1000'));
        return out.endsWith('}user/1000') && !/[{}[\]]/.test(block) && !/(^|[^\\]),/.test(block.slice(2)) && !block.includes('${');
      }),
    );
  });
});
