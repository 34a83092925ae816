import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isExtension } from '../../src/directory/extension-check.js';
import { extensionSchema } from '../../src/directory/extension-schema.js';

const names = fc.constantFrom('password', 'a1-hash', 'auth-acl', 'allow-empty-password', 'sip-forbid-register', 'user-agent-filter',
  'max-registrations-per-extension', 'vm-password', 'dial-string', 'bad name', '', 'x'.repeat(129), 'cacheable', 'number-alias', 'id', 'user_context');
const values = fc.oneof(
  fc.constantFrom('true', 'false', 'yes', 'maybe', '1', '0', '12', '1234567', '-1', 'a'.repeat(32), 'f'.repeat(32), 'x'.repeat(300), 'x'.repeat(600),
    'x'.repeat(5000), '', 'myphone', 'bad alias', '10000', 'true ', '192.168.0.0/24'),
  fc.integer({ min: -5, max: 2_000_000 }), fc.double({ noNaN: true }), fc.constant(Number.MAX_SAFE_INTEGER + 2), fc.boolean(), fc.constant(null),
  fc.constant([]), fc.constant({}),
);
const record = fc.dictionary(names, values, { maxKeys: 5 });
const extension = fc.dictionary(fc.constantFrom('param', 'variable', 'attribute', 'params', 'other'), fc.oneof(record, values), { maxKeys: 3 });
// Mostly-valid shapes (about a third pass), so both answers are exercised often.
const nearValue = fc.oneof(fc.constantFrom('true', '1', '12', 'a'.repeat(32), '10000', 'myphone'), fc.integer({ min: -5, max: 20 }), fc.boolean());
const nearRecord = fc.dictionary(names, nearValue, { maxKeys: 4 });
const nearExtension = fc.dictionary(fc.constantFrom('param', 'variable', 'attribute'), nearRecord, { maxKeys: 3 });

test('the fast check accepts exactly what the zod schema accepts', () => {
  fc.assert(
    fc.property(fc.oneof(extension, nearExtension, nearExtension, values), (value) => {
      const json = JSON.parse(JSON.stringify(value)) as unknown;
      assert.equal(isExtension(json), extensionSchema.safeParse(json).success, JSON.stringify(json));
    }),
    { numRuns: 5000 },
  );
});

test('the seed example and realistic values pass both', () => {
  const seed = { param: { 'allow-empty-password': false, password: '123', 'auth-acl': '', 'sip-forbid-register': false }, variable: { 'sip-force-contact': 'NDLB-connectile-dysfunction-2.0' }, attribute: { cacheable: '10000', 'number-alias': 'myphone' } };
  assert.equal(isExtension(seed), true);
  assert.equal(extensionSchema.safeParse(seed).success, true);
});
