import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isFreectiError } from '../../src/errors.js';
import { assertPlainNumber, isDigits, isPlainNumber } from '../../src/dial-string/index.js';

/** Everything that changes a FreeSWITCH dial string or its expansion. */
const SYNTAX = ['{', '}', '[', ']', '<', '>', ',', '|', ';', '/', '^', ':', '=', '@', '!', '&', '%', '$', '(', ')', ' ', '\t', '\n', '\r', '"', "'", '`', '\\', '\u0000'];

test('ordinary numbers and extensions pass', () => {
  for (const n of ['1001', '+8613800138000', '*97', '#1', '10001', 'alice', 'agent_7', '1.2-3', '0']) assert.equal(isPlainNumber(n), true, n);
  assert.equal(isDigits('+123'), true);
  assert.equal(isDigits('12a'), false);
});

test('dial-string syntax is refused', () => {
  for (const n of ['', '${x}', '$${x}', '1001,1002', '1|2', '{a=b}1', '[a=b]1', 'user/1001', '1001@evil', '1 2', "1'", '"1"', '1;x', 'sofia/gateway/gw/1', '.1', '-1', '_1', '+', '++1', 'x'.repeat(66)]) {
    assert.equal(isPlainNumber(n), false, JSON.stringify(n));
  }
  assert.equal(isPlainNumber(1001), false);
  assert.equal(isPlainNumber(undefined), false);
});

test('property: any string holding a syntax character is refused', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), fc.constantFrom(...SYNTAX), fc.string({ maxLength: 20 }), (a, s, b) => !isPlainNumber(`${a}${s}${b}`)),
    { numRuns: 2000 },
  );
});

test('property: what passes is made only of safe characters and is never longer than 65', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (s) => {
      if (!isPlainNumber(s)) return true;
      return s.length <= 65 && /^[+0-9A-Za-z*#._-]+$/.test(s) && !s.includes('${');
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.stringMatching(/^\+?[0-9]{1,32}$/), (s) => isPlainNumber(s) && isDigits(s)),
    { numRuns: 500 },
  );
});

test('assertPlainNumber throws a typed error naming the field, with a short value', () => {
  assert.doesNotThrow(() => assertPlainNumber('1001', 'dial.number'));
  try {
    assertPlainNumber(`1001,${'x'.repeat(100)}`, 'dial.number', 'WEBHOOK_BAD_REPLY');
    assert.fail('expected a throw');
  } catch (error) {
    assert.ok(isFreectiError(error, 'WEBHOOK_BAD_REPLY'));
    assert.match(error.message, /^dial\.number: "1001,x+\.\.\." is not a plain number/);
    assert.ok(error.message.length < 200);
  }
  assert.throws(() => assertPlainNumber(null, 'n'), (e: unknown) => isFreectiError(e, 'BAD_REQUEST') && /a null/.test(e.message));
});
