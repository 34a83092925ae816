import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseXmlCurlForm } from '../../src/xml-curl/request.js';
import { recordedRequest } from './harness.js';

test('every recorded request decodes exactly like URLSearchParams (first value wins)', () => {
  for (const name of ['directory-sip-auth-register-1000', 'directory-sip-auth-invite-1000-to-1001', 'directory-user-call-bridge-user-1001',
    'directory-user-data-var-1001-from-dialplan', 'dialplan-call-1000-to-1001']) {
    const body = recordedRequest(name).body;
    const expected = new Map<string, string>();
    for (const [k, v] of new URLSearchParams(body)) if (!expected.has(k)) expected.set(k, v);
    const req = parseXmlCurlForm(body);
    assert.deepEqual(req.fields, expected, name);
    for (const [k, v] of expected) assert.equal(req.get(k), v);
  }
  const reg = parseXmlCurlForm(recordedRequest('directory-sip-auth-register-1000').body);
  assert.equal(reg.section, 'directory');
  assert.equal(reg.get('Event-Date-GMT'), 'Sat, 21 Nov 2026 04:35:51 GMT');
  assert.equal(reg.get('sip_call_id'), '1-32101@127.0.0.1');
  assert.equal(reg.get('FreeSWITCH-IPv6'), 'fd00::2');
});

test('lookups by name agree with URLSearchParams.get on arbitrary forms (raw bytes, odd escapes, repeats)', () => {
  const piece = fc.constantFrom('user', 'domain', 'us', 'er', '=', '&', '%', '%2', '%41', '%E0%A4', '+', 'a', 'é', ' ');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 30 }).map((parts) => parts.join('')), (body) => {
      const req = parseXmlCurlForm(body);
      const reference = new URLSearchParams(body);
      for (const name of ['user', 'domain', 'us', 'a']) assert.equal(req.get(name), reference.get(name) ?? undefined, `${name} in ${body}`);
    }),
    { numRuns: 2000 },
  );
});

test('any form built by URLSearchParams decodes to the same fields; malformed escapes never throw', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 8 }), (pairs) => {
      const body = new URLSearchParams(pairs).toString();
      const expected = new Map<string, string>();
      for (const [k, v] of new URLSearchParams(body)) if (!expected.has(k)) expected.set(k, v);
      assert.deepEqual(parseXmlCurlForm(body).fields, expected);
    }),
  );
  const oddBody = 'user=%E0%A4%A&domain=a%2&x&=v&section=directory&xuser=1&user=second';
  const odd = parseXmlCurlForm(oddBody);
  const reference = new URLSearchParams(oddBody);
  for (const name of ['user', 'domain', 'x', 'section', 'xuser']) assert.equal(odd.get(name), reference.get(name), name);
  assert.equal(odd.get('domain'), 'a%2');
  assert.equal(odd.get('x'), '');
  assert.equal(odd.section, 'directory');
});
