import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatTarget, parseOriginate, parseTarget, type Originate } from '../../src/fs-lang/originate.js';
import { cleanWord, FsSyntaxError } from '../../src/fs-lang/scan.js';
import { SEED } from '../originate/seed-examples.js';

const parseCtiOriginate = parseOriginate;
/** The command as written again: the target re-read from its written text (quotes kept). */
const format = (p: Originate): string => [p.url, formatTarget(parseTarget(p.targetText, p.extra[0])), ...p.extra].join(' ');
/** The call URL after its `<>`/`{}` blocks. */
const dialOf = (p: Originate): string => p.call.legs.map((l) => l.text).join(',');


test('seed example 2: variables (nested and quoted) and &bridge with a linegroup leg', () => {
  const p = parseCtiOriginate(SEED.example2);
  assert.deepEqual(p.call.vars.map((v) => v.name), ['origination_caller_id_number', 'origination_nested_vars', 'execute_on_answer_set_record_filename']);
  assert.equal(p.call.vars[2]?.value, 'export record_filename=$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav', 'quotes are FreeSWITCH\'s, not the value\'s');
  assert.equal(dialOf(p), 'user/121');
  assert.deepEqual(p.target, {
    kind: 'app',
    name: 'bridge',
    parens: true,
    // mod_commands cleans the word: FreeSWITCH reads the value without its quotes.
    args: '{origination_caller_id_number=121,execute_on_answer_start_record=record_session \\${record_filename}}linegroup/default/5555',
  });
  assert.deepEqual(p.extra, []);
});

test('seed example 2 (answer-time recording): an unquoted inline list', () => {
  const p = parseCtiOriginate(SEED.example2inline);
  assert.equal(p.target.kind, 'inline');
  assert.deepEqual(p.target.kind === 'inline' ? p.target.apps : [], [
    { name: 'export', args: 'record_filename=$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav' },
    { name: 'record_session', args: '${record_filename}' },
    { name: 'bridge', args: '{origination_caller_id_number=121}linegroup/default/1380000000' },
  ]);
  assert.deepEqual(p.extra, ['inline']);
});

test('robot examples: a quoted inline list with a bare app (park) and Chinese variable names', () => {
  for (const text of [SEED.robotUser, SEED.robotLinegroup]) {
    const p = parseCtiOriginate(text);
    assert.equal(p.call.vars[2]?.name, '话术变量');
    assert.equal(p.call.vars[2]?.value, '话术变量的值');
    assert.deepEqual(p.target, {
      kind: 'inline',
      quoted: false,
      apps: [
        { name: 'cti_robot', args: '话术' },
        { name: 'set', args: 'park_timeout=3600' },
        { name: 'park', args: undefined },
      ],
    });
  }
});

test('playback examples and the extension form', () => {
  assert.deepEqual(parseCtiOriginate(SEED.playMany).target, { kind: 'app', name: 'playback', args: 'file_string://文件1.wav!文件2.wav', parens: true });
  assert.equal(dialOf(parseCtiOriginate(SEED.playHttp)), 'sofia/external/abc@27.156.125.43:6066');
  assert.deepEqual(parseCtiOriginate('user/1000 &echo').target, { kind: 'app', name: 'echo', args: '', parens: false }, 'seed 003 example 1: &echo without parentheses');
  const ext = parseCtiOriginate('{origination_caller_id_number=1000}user/1000 9196 XML default');
  assert.deepEqual(ext.target, { kind: 'extension', extension: '9196' });
  assert.deepEqual(ext.extra, ['XML', 'default']);
});

test('every seed example formats back to itself', () => {
  for (const [name, text] of Object.entries(SEED)) assert.equal(format(parseCtiOriginate(text)), text, name);
});

const badInputs = [
  '',
  '   ',
  'user/1000',
  '{a=1}',
  '{a=1 user/1000 &park()',
  'user/1000 &bridge(user/1 user/2)',
  "user/1000 'park' inline x y z w v",
  "user/1000 'unterminated inline",
  'user/1000 &park()\r\napi system id',
  "user/1000 'ba d:x' inline",
  'user/1000 &(x)',
  'user/1000 &bridge(a)b)',
];

test('malformed input is a FsSyntaxError with a message', () => {
  for (const text of badInputs) {
    assert.throws(() => parseCtiOriginate(text), (e: unknown) => e instanceof FsSyntaxError && e.message.length > 0, JSON.stringify(text));
  }
});

test('property: any input either parses or fails with FsSyntaxError, never anything else', () => {
  const pieces = fc.constantFrom('{', '}', '(', ')', "'", '&', ',', ':', '=', ' ', 'user/1', 'bridge', 'inline', '\\', '[', ']', 'a', '$', '话');
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.array(pieces, { maxLength: 40 }).map((a) => a.join(''))), (text) => {
      try {
        const parsed = parseCtiOriginate(text);
        // Whatever parses formats to text that parses to the same thing.
        assert.deepEqual(parseCtiOriginate(format(parsed)).target, parsed.target);
      } catch (error) {
        if (!(error instanceof FsSyntaxError)) throw error;
      }
    }),
    { numRuns: 1000 },
  );
});

test('property: generated well-formed commands parse into their parts', () => {
  const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);
  const value = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_/.$]{0,10}$/), fc.stringMatching(/^[a-z ]{0,10}$/).map((v) => `'${v}'`));
  const vars = fc.array(fc.tuple(word, value), { maxLength: 4 });
  const dial = fc.stringMatching(/^(user|sofia\/gateway\/gw|linegroup\/g1)\/[0-9]{1,6}$/);
  fc.assert(
    fc.property(vars, dial, word, fc.stringMatching(/^[a-z0-9/.:]{0,12}$/), (vs, ds, app, args) => {
      const varsText = vs.map(([n, v]) => `${n}=${v}`).join(',');
      const text = `${vs.length > 0 ? `{${varsText}}` : ''}${ds} &${app}(${args})`;
      const p = parseCtiOriginate(text);
      // mod_commands cleans the word: quotes go, a quoted space stays.
      assert.deepEqual(p.call.vars, vs.map(([name, v]) => ({ name, value: cleanWord(v).trim(), nolocal: false })));
      assert.equal(dialOf(p), ds);
      assert.deepEqual(p.target, { kind: 'app', name: app, args, parens: true });
    }),
    { numRuns: 300 },
  );
});

