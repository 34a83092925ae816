import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommandPolicy, requiredCommands } from '../../src/cli-http/command-policy.js';
import { dangerousNames } from '../../src/cli-http/denylist.js';

const everything = new CommandPolicy(['*']);

const refused: [string, string][] = [
  ['system', 'rm -rf /'],
  ['bg_system', 'id'],
  ['spawn', 'id'],
  ['luarun', 'x.lua'],
  ['jsrun', 'x.js'],
  ['python', 'x'],
  ['fsctl', 'shutdown'],
  ['shutdown', ''],
  ['load', 'mod_lua'],
  ['unload', 'mod_sofia'],
  ['reloadxml', ''],
  ['hupall', 'NORMAL_CLEARING'],
  ['expand', 'originate user/1000 &park()'],
  ['eval', '${uuid}'],
  ['bgapi', 'system id'],
  ['bgapi', 'bgapi fsctl shutdown'],
  ['sched_api', '+1 none status'],
  ['sched_api', '+1 none system id'],
  ['originate', 'user/1000 &system(id)'],
  ['originate', "user/1000 'system:id' inline"],
  ['originate', '{api_on_answer=system id}user/1000 &park()'],
  ['originate', '{api_hangup_hook=bg_system id}user/1000 &park()'],
  ['originate', "{execute_on_answer='lua x.lua'}user/1000 &park()"],
  ['originate', 'user/1000 &bridge(loopback/app=system:id)'],
  ['originate', '{x=${system id}}user/1000 &park()'],
  ['cti_originate', '{x=${sys\\tem id}}user/1000 &park()'],
  ['uuid_broadcast', 'b2961087-c353-45f6-a50e-1fd957e23fec system::id both'],
  ['uuid_setvar', 'b2961087-c353-45f6-a50e-1fd957e23fec api_hangup_hook system id'],
  ['uuid_transfer', "b2961087-c353-45f6-a50e-1fd957e23fec 'perl:x' inline"],
  ['sofia', 'profile internal restart'],
  ['SYSTEM', 'id'],
];

for (const [cmd, arg] of refused) {
  test(`refused for '*': ${cmd} ${arg}`, () => {
    const decision = everything.check(cmd, arg);
    assert.equal(decision.allowed, false, JSON.stringify(decision));
    assert.ok(decision.missing.length > 0);
  });
}

const allowed: [string, string][] = [
  ['status', ''],
  ['bgapi', 'originate user/1000 &echo'],
  ['cti_originate', "{origination_caller_id_number=9999}user/1000 'playback:/sounds/system.wav' inline"],
  ['uuid_broadcast', 'b2961087-c353-45f6-a50e-1fd957e23fec /var/sounds/system-message.wav both'],
  ['conference', 'demo json_list'],
  ['sofia', 'status profile internal reg'],
  ['show', 'channels as json'],
];

for (const [cmd, arg] of allowed) {
  test(`allowed for '*': ${cmd} ${arg}`, () => {
    assert.deepEqual(everything.check(cmd, arg).missing, []);
  });
}

test('a glob never grants a dangerous command; an exact entry does', () => {
  assert.equal(new CommandPolicy(['s*']).grants('system'), false);
  assert.equal(new CommandPolicy(['s*']).grants('status'), true);
  const ops = new CommandPolicy(['originate', 'system']);
  assert.equal(ops.check('originate', 'user/1000 &system(id)').allowed, true);
  assert.equal(ops.check('bgapi', 'system id').allowed, true);
  assert.equal(ops.check('fsctl', 'shutdown').allowed, false);
});

test('per-key allow lists: uuid_* covers uuid commands only; bgapi is checked as its inner command', () => {
  const callControl = new CommandPolicy(['uuid_*', 'show']);
  assert.equal(callControl.check('uuid_kill', 'x').allowed, true);
  assert.equal(callControl.check('bgapi', 'uuid_kill x').allowed, true);
  assert.deepEqual(callControl.check('originate', 'user/1 &park()').missing, ['originate']);
  assert.deepEqual(callControl.check('bgapi', 'originate user/1 &park()').missing, ['originate']);
  assert.deepEqual(requiredCommands('sched_api', '+1 none uuid_kill x'), ['uuid_kill', 'sched_api']);
});

test('dangerous names are recognised as commands, not inside file names or numbers', () => {
  assert.deepEqual(dangerousNames('playback /sounds/system.wav'), []);
  assert.deepEqual(dangerousNames('playback system-message.wav'), []);
  assert.deepEqual(dangerousNames('conference demo play /tmp/reload/x.wav'), []);
  assert.deepEqual(dangerousNames('&lua(x.lua)'), ['lua']);
});
