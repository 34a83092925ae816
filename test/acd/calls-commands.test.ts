/**
 * The ESL text the ACD's call half builds (src/acd/calls/commands.ts): originate for an
 * offer (caller id cleaned, one variable block, policy-checked), the derived leg uuid,
 * recording paths, `-ERR` causes and what the engine is told about each.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentLegUuid, cleanCallerName, cleanCallerNumber, errCause, originateArgs, recordPath } from '../../src/acd/calls/commands.js';
import { failReasonOf } from '../../src/acd/calls/agent-legs.js';
import { FsPolicy, PolicyRefusal } from '../../src/fs-lang/policy.js';
import type { Offer } from '../../src/acd/types.js';

const offer = (contact: Offer['contact'], extra: Partial<Offer> = {}): Offer => ({
  offerId: 'o-1',
  fencingToken: 7,
  queue: 'support',
  entryId: 'e-1',
  callUuid: '0b6f3c1e-1111-4222-8333-444455556666',
  node: 'fs1',
  callerIdNumber: '+49 (30) 1234',
  callerIdName: "Jane 'O, Doe}",
  agent: '1001',
  contact,
  timeoutSec: 15,
  expiresAt: 0,
  recordTemplate: null,
  ...extra,
});

describe('ACD call commands', () => {
  const policy = new FsPolicy();

  it('originate: the caller id cleaned, the offer timeout, the derived leg uuid, park', () => {
    const args = originateArgs(policy, offer({ type: 'extension', extension: '1001' }), 'user/1001');
    assert.equal(
      args,
      `{origination_uuid=${agentLegUuid('o-1')},origination_caller_id_number=+49301234,origination_caller_id_name='Jane O Doe',originate_timeout=15,ignore_early_media=true,park_timeout=20,freecti_acd_offer=o-1,freecti_acd_queue=support,freecti_acd_agent=1001,freecti_acd_caller=0b6f3c1e-1111-4222-8333-444455556666}user/1001 &park()`,
    );
  });

  it("a dial string's own variable block is merged into one block", () => {
    const args = originateArgs(policy, offer({ type: 'dial', dialString: '{sip_h_X-Agent=1}sofia/gateway/gw1/5551234' }), '{sip_h_X-Agent=1}sofia/gateway/gw1/5551234');
    assert.match(args, /^\{sip_h_X-Agent=1,origination_uuid=[0-9a-f-]{36},/);
    assert.match(args, /\}sofia\/gateway\/gw1\/5551234 &park\(\)$/);
    assert.equal(args.split('{').length, 2, 'one block');
  });

  it('the policy refuses what an agent contact must not dial', () => {
    assert.throws(() => originateArgs(policy, offer({ type: 'dial', dialString: 'foo/bar' }), 'foo/bar'), PolicyRefusal);
    assert.throws(() => originateArgs(policy, offer({ type: 'dial', dialString: '{api_on_answer=system rm}user/1001' }), '{api_on_answer=system rm}user/1001'), PolicyRefusal);
  });

  it('leg uuids: uuid-shaped, stable per offer, different between offers', () => {
    assert.match(agentLegUuid('o-1'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(agentLegUuid('o-1'), agentLegUuid('o-1'));
    assert.notEqual(agentLegUuid('o-1'), agentLegUuid('o-2'));
  });

  it('caller id: nothing left becomes unknown', () => {
    assert.equal(cleanCallerNumber('anonymous'), 'unknown');
    assert.equal(cleanCallerName('{}$'), 'unknown');
    assert.equal(cleanCallerName('Zoë Müller'), 'Zoë Müller');
  });

  it('recording paths: placeholders filled, caller-controlled characters replaced', () => {
    const at = new Date('2026-12-03T08:09:10Z');
    assert.equal(recordPath('$${recordings_dir}/{queue}/{date}/{time}-{uuid}-{agent}.wav', { queue: 'sales', callUuid: 'u-1', agent: '../x' }, at), '$${recordings_dir}/sales/2026-12-03/080910-u-1-.._x.wav');
  });

  it('-ERR causes and what the engine hears', () => {
    assert.equal(errCause('-ERR USER_BUSY\n'), 'USER_BUSY');
    assert.equal(errCause('-ERR NORMAL_TEMPORARY_FAILURE\n'), 'NORMAL_TEMPORARY_FAILURE');
    assert.equal(errCause('-ERR invalid session id\n'), undefined);
    assert.deepEqual(['USER_BUSY', 'CALL_REJECTED', 'NO_ANSWER', 'ALLOTTED_TIMEOUT', 'NORMAL_TEMPORARY_FAILURE', undefined].map(failReasonOf), ['busy', 'reject', 'no-answer', 'no-answer', 'error', 'error']);
  });
});
