/** `${...}` / `$${...}` expansions (src/fs-lang/expansion.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expansionView, parseExpansions, type Expansion } from '../../src/fs-lang/expansion.js';

const hasNoExpansion = (text: string): boolean => parseExpansions(text).every((piece) => piece.kind === 'text');

const kinds = (pieces: Expansion[]): string[] => pieces.map((p) => p.kind);

test('plain text, channel variables, globals and api calls', () => {
  assert.deepEqual(parseExpansions('abc'), [{ kind: 'text', text: 'abc' }]);
  assert.deepEqual(parseExpansions(''), []);
  assert.deepEqual(parseExpansions('a${uuid}b'), [
    { kind: 'text', text: 'a' },
    { kind: 'var', name: 'uuid', global: false, raw: '${uuid}' },
    { kind: 'text', text: 'b' },
  ]);
  assert.deepEqual(parseExpansions('$${recordings_dir}'), [{ kind: 'var', name: 'recordings_dir', global: true, raw: '$${recordings_dir}' }]);
  assert.deepEqual(parseExpansions('$${cn-ring}'), [{ kind: 'var', name: 'cn-ring', global: true, raw: '$${cn-ring}' }]);
  assert.deepEqual(parseExpansions('${strftime(%Y-%m-%d)}'), [{ kind: 'call', fn: 'strftime', args: '%Y-%m-%d', raw: '${strftime(%Y-%m-%d)}' }]);
  assert.deepEqual(parseExpansions('${SYSTEM(ls -l)}'), [{ kind: 'call', fn: 'system', args: 'ls -l', raw: '${SYSTEM(ls -l)}' }], 'fn is lower-cased');
  assert.deepEqual(kinds(parseExpansions('$${recordings_dir}/${strftime(%Y-%m-%d-%H-%M-%S)}_${uuid}_${caller_id_number}.wav')), [
    'var', 'text', 'call', 'text', 'var', 'text', 'var', 'text',
  ]);
  assert.deepEqual(kinds(parseExpansions('${a}${b}')), ['var', 'var'], 'spliced expansions are two pieces (policy.ts refuses the glue)');
});

test('quotes and backslashes do not hide an expansion', () => {
  for (const spelling of ['\\${x}', "$'{'x}", '$\\{x}', '$"{"x}', "'$'{x}", "${'x'}", '${x\\}']) {
    assert.deepEqual(parseExpansions(spelling), [{ kind: 'var', name: 'x', global: false, raw: '${x}' }], spelling);
  }
  assert.equal(expansionView("a'b\"c\\d"), 'abcd');
  assert.equal(hasNoExpansion('$ {x} $x {x} $$ x}'), true);
  assert.equal(hasNoExpansion('$\\{x}'), false);
  assert.equal(hasNoExpansion("$'{x}"), false);
});

test('malformed or refused forms are `invalid` pieces (never thrown)', () => {
  const why = (text: string): string => {
    const piece = parseExpansions(text).find((p) => p.kind === 'invalid');
    assert.ok(piece !== undefined && piece.kind === 'invalid', `no invalid piece in ${text}`);
    return piece.why;
  };
  assert.equal(why('${v:0:3}'), 'substring expansion');
  assert.equal(why('${uuid:1}'), 'substring expansion');
  assert.equal(why('${${x}}'), 'nested expansion');
  assert.equal(why('$${${x}}'), 'nested expansion');
  assert.equal(why('${a${x}}'), 'nested expansion');
  assert.equal(why('${uuid'), 'unbalanced ${');
  assert.equal(why('a ${x{'), 'unbalanced ${');
  assert.equal(why('${expand system ls}'), 'not a variable name or fn(args)');
  assert.equal(why('${}'), 'not a variable name or fn(args)');
  assert.equal(why('${1abc}'), 'not a variable name or fn(args)');
  assert.equal(why('$${strftime(%Y)}'), 'not a variable name or fn(args)', 'a global cannot be an api call');
  assert.equal(why('${(ls)}'), 'not a variable name or fn(args)');
  assert.deepEqual(kinds(parseExpansions('${x}${y:1}')), ['var', 'invalid']);
  assert.deepEqual(kinds(parseExpansions('a${b')), ['text', 'invalid'], 'the scan stops at an unbalanced ${');
});

test('the closing brace of an expansion counts nested braces', () => {
  const [piece] = parseExpansions('${f({a})}');
  assert.deepEqual(piece, { kind: 'call', fn: 'f', args: '{a}', raw: '${f({a})}' });
});
