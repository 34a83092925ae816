/**
 * One mod_xml_curl request: the form fields FreeSWITCH POSTs
 * (`application/x-www-form-urlencoded`, see test/fixtures/freeswitch/xml-curl/*.http).
 * Spaces arrive as `%20`, `+` as `%2B`; a standard form decoder reads them.
 * A field given twice keeps its first value.
 */
export interface XmlCurlRequest {
  /** `section`: directory, dialplan, configuration, phrases, ... */
  readonly section: string;
  /** Every field, first value wins. */
  readonly fields: ReadonlyMap<string, string>;
  /** A field's value, or undefined. */
  get(name: string): string | undefined;
}

/** Bodies larger than this are not from mod_xml_curl (the dialplan body is ~6 KB). */
export const MAX_FORM_BYTES = 256 * 1024;

export function parseXmlCurlForm(body: string): XmlCurlRequest {
  const fields = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(body)) {
    if (!fields.has(name)) fields.set(name, value);
  }
  return {
    section: fields.get('section') ?? '',
    fields,
    get: (name) => fields.get(name),
  };
}
