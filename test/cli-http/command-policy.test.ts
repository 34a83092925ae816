import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
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

test('expansions that could build a command at run time need the expansions grant; the seed ones pass', () => {
  const refusedExpansions: [string, string][] = [
    ['originate', "{a=sys,b=tem id,execute_on_answer='set api_hangup_hook=${a}${b}'}user/1000 &park()"],
    ['originate', "{execute_on_answer='transfer sys${b} inline'}user/1000 &park()"],
    ['originate', "{execute_on_answer='transfer ${a}tem:id inline'}user/1000 &park()"],
    ['originate', "{execute_on_answer='transfer ${url_decode(%73ystem%3Aid)} inline'}user/1000 &park()"],
    ['uuid_broadcast', 'b2961087-c353-45f6-a50e-1fd957e23fec ${regex(xsystemx|x(.*)x|$1)}::id both'],
    ['bgapi', 'originate user/1000 &set(x=$${a}$${b})'],
  ];
  for (const [cmd, arg] of refusedExpansions) {
    const decision = everything.check(cmd, arg);
    assert.deepEqual(decision.missing, ['expansions'], arg);
    assert.equal(new CommandPolicy(['*', 'expansions']).check(cmd, arg).allowed, true);
  }
  const seedLike = [
    "{origination_caller_id_number=clicktocall,origination_nested_vars=true,execute_on_answer_set_record_filename='export record_filename=$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav'}user/121 &bridge({origination_caller_id_number=121,execute_on_answer_start_record='record_session \\${record_filename}'}user/5555)",
    '{a=1}${sofia_contact(1000@127.0.0.1)} &park()',
    "user/1000 'export:record_filename=$${recordings_dir}/${uuid}.wav,record_session:${record_filename}' inline",
  ];
  for (const arg of seedLike) assert.deepEqual(everything.check('cti_originate', arg).missing, [], arg);
});

test('property: the policy never throws, and text that names system as an app is never allowed by *', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 120 }), (cmd, arg) => {
      everything.check(cmd, arg);
    }),
    { numRuns: 500 },
  );
  const wrap = fc.constantFrom('&system(id)', "'system:id' inline", '{api_on_answer=system id}', 'system::id', '${system id}', ' system id');
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z0-9/ ]{0,20}$/), wrap, fc.stringMatching(/^[a-z0-9/ ]{0,20}$/), (before, danger, after) => {
      assert.equal(everything.check('bgapi', `originate ${before} ${danger} ${after}`).allowed, false);
    }),
    { numRuns: 300 },
  );
});
