/** originate / cti_originate arguments (src/fs-lang/originate.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTarget, MAX_ORIGINATE_LENGTH, parseInlineApps, parseOriginate, parseTarget } from '../../src/fs-lang/originate.js';
import { FsSyntaxError } from '../../src/fs-lang/scan.js';

test('&app, &app(), &app(args)', () => {
  assert.deepEqual(parseOriginate('user/1000 &echo').target, { kind: 'app', name: 'echo', args: '', parens: false });
  assert.deepEqual(parseOriginate('user/1000 &echo()').target, { kind: 'app', name: 'echo', args: '', parens: true });
  const o = parseOriginate("{a=1}user/1000 &bridge({b='x y'}linegroup/default/5555) XML default 'Name' 1000 30");
  // mod_commands cleans every word: the quotes are gone when FreeSWITCH reads the target.
  assert.deepEqual(o.target, { kind: 'app', name: 'bridge', args: '{b=x y}linegroup/default/5555', parens: true });
  assert.equal(o.targetText, "&bridge({b='x y'}linegroup/default/5555)");
  assert.equal(o.url, '{a=1}user/1000');
  assert.deepEqual(o.call.vars, [{ name: 'a', value: '1', nolocal: false }]);
  assert.deepEqual(o.extra, ['XML', 'default', 'Name', '1000', '30']);
  assert.deepEqual(parseOriginate("user/1000 &sys''tem(ls)").target, { kind: 'app', name: 'system', args: 'ls', parens: true }, 'quotes inside a word go too');
});

test("'app:args,app' inline (quoted or not)", () => {
  const o = parseOriginate("{x=1}user/1000 'cti_robot:话术,set:park_timeout=3600,park' inline");
  assert.equal(o.targetText, "'cti_robot:话术,set:park_timeout=3600,park'");
  assert.deepEqual(parseTarget(o.targetText, 'inline').kind === 'inline' && (parseTarget(o.targetText, 'inline') as { quoted: boolean }).quoted, true, 'as written, the list is quoted');
  assert.deepEqual(o.target, {
    kind: 'inline',
    quoted: false,
    apps: [
      { name: 'cti_robot', args: '话术' },
      { name: 'set', args: 'park_timeout=3600' },
      { name: 'park', args: undefined },
    ],
  });
  assert.deepEqual(o.extra, ['inline']);
  const bare = parseOriginate('user/121 export:record_filename=$${recordings_dir}/${uuid}.wav,record_session:${record_filename},bridge:{a=1}linegroup/default/1 inline');
  assert.equal(bare.target.kind === 'inline' && bare.target.quoted, false);
  assert.deepEqual(bare.target.kind === 'inline' ? bare.target.apps.map((a) => a.name) : [], ['export', 'record_session', 'bridge']);
});

test('an inline list splits at commas outside quotes, brackets notwithstanding', () => {
  assert.deepEqual(parseInlineApps("log:'a,b',park"), [
    { name: 'log', args: 'a,b' },
    { name: 'park', args: undefined },
  ]);
  assert.throws(() => parseInlineApps('bridge:{a=1,b=2}user/1'), FsSyntaxError, 'the comma inside {..} splits the list');
  assert.deepEqual(parseInlineApps("bridge:{a=1\\,b=2}user/1").map((a) => a.name), ['bridge'], 'a backslash protects it');
});

test('extension targets', () => {
  const o = parseOriginate('user/1000 9999 XML default');
  assert.deepEqual(o.target, { kind: 'extension', extension: '9999' });
  assert.deepEqual(o.extra, ['XML', 'default']);
});

test('&app(args) ends at the first )', () => {
  assert.throws(() => parseOriginate('user/1000 &log(a)b'), FsSyntaxError);
  assert.throws(() => parseOriginate('user/1000 &playback(${f(x)})'), FsSyntaxError);
  assert.throws(() => parseOriginate('user/1000 &bridge(user/1000)&system(ls)'), FsSyntaxError);
});

test('malformed originate arguments are syntax errors', () => {
  for (const bad of [
    '', '   ', 'user/1000', 'user/1000 &', 'user/1000 &bad-name', 'user/1000 &a(b', "user/1000 'a:1'", 'user/1000 a:1', 'user/1000 &echo 1 2 3 4 5 6',
    "user/1000 'a:1", "user/1000 '' inline", "user/1000 'a b:1' inline", "user/1000 'a:1,,b' inline", 'user/1000 &echo\nsystem', 'user/1000 &echo\r',
    '{a=1 user/1000 &echo', 'nope &echo', "user/1000 &log('a b)", 'user/1000 &playback(a b)',
  ]) {
    assert.throws(() => parseOriginate(bad), FsSyntaxError, JSON.stringify(bad));
  }
  assert.throws(() => parseOriginate(`user/1000 &log(${'x'.repeat(MAX_ORIGINATE_LENGTH)})`), FsSyntaxError);
});

test('formatTarget writes back the target as written', () => {
  for (const text of ['user/1000 &echo', 'user/1000 &echo()', "user/1000 'park,set:a=1' inline", 'user/1000 park,set:a=1 inline', 'user/1000 9999 XML default']) {
    const o = parseOriginate(text);
    assert.equal([o.url, formatTarget(parseTarget(o.targetText, o.extra[0])), ...o.extra].join(' '), text);
  }
});
