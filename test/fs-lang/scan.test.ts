/** The low-level cuts (src/fs-lang/scan.ts), with the FreeSWITCH quirks they claim. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertNoControl, blockEnd, firstWord, FsSyntaxError, splitQuoted, splitWords, unquote } from '../../src/fs-lang/scan.js';

const texts = (parts: { text: string }[]): string[] => parts.map((p) => p.text);

test('blockEnd counts one bracket kind and ignores quotes and backslashes (switch_find_end_paren)', () => {
  assert.equal(blockEnd('{a=1}user/1000', 0), 4);
  assert.equal(blockEnd("{a='}'}", 0), 4, 'a quoted } still ends the block');
  assert.equal(blockEnd('{a=\\}}', 0), 4, 'a backslash does not protect }');
  assert.equal(blockEnd('{a={b}}x', 0), 6, 'same-kind brackets nest');
  assert.equal(blockEnd('{a=[}]', 0), 4, 'other bracket kinds are not counted');
  assert.equal(blockEnd('(a(b)c)', 0), 6);
  assert.equal(blockEnd('<a>', 0), 2);
  assert.equal(blockEnd('[a', 0), -1);
  assert.equal(blockEnd('abc', 0), -1, 'not a bracket');
});

test('splitWords splits at spaces and tabs outside single quotes; a backslash protects the next character', () => {
  assert.deepEqual(texts(splitWords("a  'b c'\td")), ['a', "'b c'", 'd']);
  assert.deepEqual(texts(splitWords('a\\ b c')), ['a\\ b', 'c']);
  assert.deepEqual(texts(splitWords("{x='1 2'}user/1 &echo")), ["{x='1 2'}user/1", '&echo']);
  assert.deepEqual(splitWords('  '), []);
  assert.equal(splitWords(' ab c')[1]?.start, 4);
  assert.throws(() => splitWords("a 'b"), FsSyntaxError);
});

test('firstWord cuts the command from its arguments', () => {
  assert.deepEqual(firstWord('  bgapi  status  '), ['bgapi', 'status']);
  assert.deepEqual(firstWord('status'), ['status', '']);
  assert.deepEqual(firstWord(''), ['', '']);
});

test('splitQuoted: brackets do NOT protect a separator (switch_separate_string), quotes and backslashes do', () => {
  assert.deepEqual(texts(splitQuoted('a=${f(x,y)},b=1', ',')), ['a=${f(x', 'y)}', 'b=1']);
  assert.deepEqual(texts(splitQuoted("a='x,y',b=1", ',')), ["a='x,y'", 'b=1']);
  assert.deepEqual(texts(splitQuoted('a=x\\,y,b', ',')), ['a=x\\,y', 'b']);
  assert.deepEqual(texts(splitQuoted('a:_:b', ':_:')), ['a', 'b']);
  assert.throws(() => splitQuoted("a='x", ','), FsSyntaxError);
});

test('unquote removes one pair of surrounding single quotes', () => {
  assert.equal(unquote("'a b'"), 'a b');
  assert.equal(unquote("''"), '');
  assert.equal(unquote("'a"), "'a");
  assert.equal(unquote("a'b'"), "a'b'");
  assert.equal(unquote("'"), "'");
});

test('assertNoControl refuses line breaks and control characters, allows tabs', () => {
  assertNoControl('a\tb 中文', 'x');
  for (const bad of ['a\nb', 'a\rb', 'a\x00b', 'a\x1bb', 'a\x7fb']) assert.throws(() => assertNoControl(bad, 'x'), FsSyntaxError);
});
