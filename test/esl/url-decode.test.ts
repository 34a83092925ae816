import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { UrlDecodeCache, ownCopy, urlDecode } from '../../src/esl/url-decode.js';

describe('urlDecode', () => {
  it('decodes valid sequences (upper- and lower-case hex, UTF-8)', () => {
    assert.equal(urlDecode('fd00%3A%3A2'), 'fd00::2');
    assert.equal(urlDecode('Sat,%2021%20Nov%202026%2004%3A39%3A20%20GMT'), 'Sat, 21 Nov 2026 04:39:20 GMT');
    assert.equal(urlDecode('ARRAY%3A%3A1001%7C%3A1001'), 'ARRAY::1001|:1001');
    assert.equal(urlDecode('%22%22%20%3Csip%3A1001%40127.0.0.1%3A5072%3E'), '"" <sip:1001@127.0.0.1:5072>');
    assert.equal(urlDecode('%3a%2f'), ':/');
    assert.equal(urlDecode('%E2%82%AC%20%C3%A9%F0%9F%98%80'), '€ é😀');
    assert.equal(urlDecode('%EF%BF%BD'), '\ufffd', 'an encoded U+FFFD is a valid character');
    assert.equal(urlDecode('%25'), '%');
    assert.equal(urlDecode('%2520'), '%20', 'decoded once, not twice');
  });

  it('returns values without % unchanged', () => {
    for (const value of ['', 'CHANNEL_CREATE', '1795235960880266', 'sofia/internal/1000@127.0.0.1', 'a b']) {
      assert.equal(urlDecode(value), value);
    }
  });

  it("keeps '+' as '+' (FreeSWITCH encodes spaces as %20)", () => {
    assert.equal(urlDecode('a+b'), 'a+b');
    assert.equal(urlDecode('%2B1%20555'), '+1 555');
    assert.equal(urlDecode('+%2B+'), '+++');
  });

  it('never throws on bad sequences and keeps them as they came', () => {
    const cases: [string, string][] = [
      ['%', '%'],
      ['%4', '%4'],
      ['%zz', '%zz'],
      ['100%', '100%'],
      ['%%', '%%'],
      ['%E2%82', '%E2%82'], // truncated UTF-8
      ['%E2%82%20', '%E2%82 '], // truncated, then a valid space
      ['%80', '%80'], // lone continuation byte
      ['%C0%AF', '%C0%AF'], // overlong '/'
      ['%ED%A0%80', '%ED%A0%80'], // UTF-16 surrogate
      ['%F4%90%80%80', '%F4%90%80%80'], // above U+10FFFF
      ['%FF', '%FF'],
      ['a%20b%zz%E2%82%AC%', 'a b%zz€%'],
      ['%E2%82%AC%E2%82', '€%E2%82'],
      ['%4%20', '%4 '],
      ['%uD83D', '%uD83D'],
    ];
    for (const [input, expected] of cases) assert.equal(urlDecode(input), expected, input);
  });

  it('agrees with decodeURIComponent whenever that accepts the input', () => {
    const pieces = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 4 }),
      fc.constantFrom('%', '%2', '%20', '%3A', '%3a', '%E2', '%82', '%AC', '%C3', '%A9', '%F0', '%9F', '%98', '%80', '%zz', '+'),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
        const input = parts.join('');
        const decoded = urlDecode(input);
        let expected: string | undefined;
        try {
          expected = decodeURIComponent(input);
        } catch {
          expected = undefined;
        }
        if (expected !== undefined) assert.equal(decoded, expected);
        else assert.equal(typeof decoded, 'string');
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips encodeURIComponent of any well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        assert.equal(urlDecode(encodeURIComponent(value)), value);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('UrlDecodeCache', () => {
  it('gives the same results as urlDecode, also after many distinct values', () => {
    const cache = new UrlDecodeCache(8, 64);
    const values = ['fd00%3A%3A2', '%E2%82', 'a%20b', '%', 'x'.repeat(100) + '%20'];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 40; i++) {
        const raw = `v${i}%3A${round}`;
        assert.equal(cache.decode(raw), urlDecode(raw));
      }
      for (const raw of values) assert.equal(cache.decode(raw), urlDecode(raw));
    }
  });

  it('ownCopy returns an equal string', () => {
    const parent = 'Channel-Name: sofia/internal/1000%40127.0.0.1\n'.repeat(10);
    const slice = parent.slice(14, 46);
    assert.equal(ownCopy(slice), slice);
    assert.equal(ownCopy(''), '');
  });
});
