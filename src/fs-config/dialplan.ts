/**
 * The static dialplan contexts behind freecti. With mod_xml_curl bound to the dialplan,
 * FreeSWITCH asks freecti first; these static contexts only run when freecti answers
 * "not found" (no route) or cannot answer at all (down, timeout). So:
 * - public (calls from outside): the operator's `dialplan/<public>/*.xml` files (as vanilla
 *   public.xml includes them), then hang up. It never transfers to another context and
 *   never dials a gateway or line group: the toll-fraud rule of seed 000. It replaces the
 *   vanilla public.xml, whose catch-all transfers every call into `default`;
 * - internal (registered users): the operator's own context (e.g. vanilla `default`),
 *   where outbound gateway dialing belongs; freecti only adds a note.
 */
import type { Config } from '../config/schema.js';
import { escapeXml } from '../xml-curl/xml.js';

export function publicContextXml(config: Config): string {
  const name = escapeXml(config.fsConfig.publicContext);
  return [
    '<include>',
    `  <!-- Calls from outside. freecti routes them (routes with context "${name}").`,
    '       This static context only runs when freecti cannot answer. It must never reach',
    '       gateways, line groups or another context: that is how toll fraud happens. -->',
    `  <context name="${name}">`,
    `    <!-- Your own extensions for calls from outside (vanilla: ${name}/00_inbound_did.xml) stay in`,
    `         dialplan/${name}/*.xml. They run for anyone allowed to send calls in: none may dial a`,
    '         gateway or a line group. -->',
    `    <X-PRE-PROCESS cmd="include" data="${name}/*.xml"/>`,
    '    <extension name="freecti_unavailable">',
    '      <condition field="destination_number" expression="^.*$">',
    '        <action application="log" data="WARNING freecti gave no route for call ${uuid} from ${network_addr}"/>',
    '        <action application="hangup" data="NORMAL_TEMPORARY_FAILURE"/>',
    '      </condition>',
    '    </extension>',
    '  </context>',
    '</include>',
    '',
  ].join('\n');
}

export function internalContextNote(config: Config): string {
  const name = escapeXml(config.fsConfig.internalContext);
  return [
    '<include>',
    `  <!-- Context "${name}" (registered users): keep your own static context; freecti answers for it`,
    `     only where a route with context "${name}" exists, otherwise FreeSWITCH uses the static one.`,
    '     Outbound gateway and line-group dialing belongs here (or in contexts only reachable from here),',
    `     never in "${escapeXml(config.fsConfig.publicContext)}".`,
    '     Vanilla FreeSWITCH sleeps 10 s before every call in "default" while default_password is 1234:',
    '     change default_password in vars.xml. -->',
    '</include>',
    '',
  ].join('\n');
}
