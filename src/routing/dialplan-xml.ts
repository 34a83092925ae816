/**
 * The dialplan document served to mod_xml_curl: one context (the one FreeSWITCH is
 * hunting, else it would not find it), one extension `freecti`, one condition without a
 * field (always true) and the actions in order. Every value is XML-escaped.
 */
import { escapeXml } from '../xml-curl/xml.js';
import type { DialplanAction } from './route-schema.js';

export function dialplanDocument(context: string, actions: readonly DialplanAction[], extension = 'freecti'): string {
  const lines = actions.map((a) =>
    a.data === ''
      ? `          <action application="${escapeXml(a.application)}"/>`
      : `          <action application="${escapeXml(a.application)}" data="${escapeXml(a.data)}"/>`,
  );
  return [
    '<document type="freeswitch/xml">',
    '  <section name="dialplan" description="freecti HTTP routing">',
    `    <context name="${escapeXml(context)}">`,
    `      <extension name="${escapeXml(extension)}">`,
    '        <condition>',
    ...lines,
    '        </condition>',
    '      </extension>',
    '    </context>',
    '  </section>',
    '</document>',
    '',
  ].join('\n');
}
