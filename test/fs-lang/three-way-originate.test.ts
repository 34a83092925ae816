/**
 * FsPolicy.threeWayOriginate on its own (nway_threeway's originate): the dial string is
 * checked as written and as originate reads it, quotes dropped, so a hook hidden behind a
 * quoted comma (`{a='x,api_on_answer=...'}`) is refused even when no parser cleaned it first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FsPolicy, PolicyRefusal } from '../../src/fs-lang/policy.js';

const UUID = 'a1b2c3d4-0000-4000-8000-000000000001';
const policy = new FsPolicy();

test('a plain target passes and the form is <dial string> &three_way(<uuid>)', () => {
  assert.equal(policy.threeWayOriginate(UUID, '{origination_caller_id_number=4008001234}sofia/gateway/gw7/139'), `{origination_caller_id_number=4008001234}sofia/gateway/gw7/139 &three_way(${UUID})`);
});

test('hooks behind a quoted comma are refused', () => {
  for (const dial of ["{a='x,api_on_answer=system'}user/1002", "{a='x,execute_on_answer=system'}user/1002", "[a='x,api_on_answer=system']user/1002"]) {
    assert.throws(() => policy.threeWayOriginate(UUID, dial), PolicyRefusal, dial);
  }
});
