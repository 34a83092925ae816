import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeXml, isXmlSafe } from '../../src/xml-curl/xml.js';

const unescape = (v: string): string => v.replace(/&(amp|lt|gt|quot|apos);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e] ?? '');

test('escapeXml leaves no markup character and round-trips any string, call after call', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'grapheme-ascii' }), { minLength: 1, maxLength: 5 }), (values) => {
      for (const value of values) {
        const escaped = escapeXml(value);
        assert.doesNotMatch(escaped, /[<>"']|&(?!(amp|lt|gt|quot|apos);)/);
        assert.equal(unescape(escaped), value);
      }
    }),
  );
});

test('isXmlSafe refuses control characters and lone surrogates, accepts tabs, newlines and any Unicode', () => {
  assert.equal(isXmlSafe('a\tb\nc\rd é 中 😀'), true);
  for (const bad of ['\u0000', 'a\u0001', '\u000B', '\uFFFE', '\uD800x', 'x\uDC00']) assert.equal(isXmlSafe(bad), false, JSON.stringify(bad));
});
