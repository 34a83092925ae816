/** XML helpers for the documents served to FreeSWITCH. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const SPECIAL = /[&<>"']/g;
const HAS_SPECIAL = /[&<>"']/;
/** Characters XML 1.0 does not allow at all (C0 controls except TAB, LF, CR; U+FFFE/U+FFFF; lone surrogates). */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Escapes a value for an attribute or text node. */
export function escapeXml(value: string): string {
  return HAS_SPECIAL.test(value) ? value.replace(SPECIAL, (c) => ESCAPES[c] ?? c) : value;
}

/** True when the string can be written into an XML document at all (after escaping). */
export function isXmlSafe(value: string): boolean {
  return !FORBIDDEN.test(value);
}

/**
 * The "not found" answer (exactly test/fixtures/freeswitch/xml-curl/served-not-found.xml):
 * FreeSWITCH then falls back to its static XML files.
 */
export const NOT_FOUND_DOCUMENT =
  '<document type="freeswitch/xml">\n  <section name="result">\n    <result status="not found"/>\n  </section>\n</document>\n';
