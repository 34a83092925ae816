/**
 * The ACL lists and the sofia profile settings that keep calls from outside in the
 * public context, from allowed addresses only (seed 000, "呼入安全配置"). Both are
 * include files: FreeSWITCH's X-PRE-PROCESS include puts them inside the operator's own
 * acl.conf.xml `<network-lists>` and profile `<settings>`, so the lists and settings
 * already there (the vanilla `lan` and `domains` lists, the profile's ports) stay.
 */
import type { Config } from '../config/schema.js';
import { escapeXml } from '../xml-curl/xml.js';
import { ESL_ACL } from './event-socket.js';

export const INBOUND_ACL = 'freecti_inbound';
/** Relative to autoload_configs/ (an include path is relative to the including file). */
export const ACL_INCLUDE = 'freecti/acl-lists.xml';

function list(name: string, cidrs: readonly string[], comment: string): string[] {
  return [
    `  <!-- ${comment} -->`,
    `  <list name="${name}" default="deny">`,
    ...cidrs.map((cidr) => `    <node type="allow" cidr="${escapeXml(cidr)}"/>`),
    '  </list>',
  ];
}

/** autoload_configs/freecti/acl-lists.xml: freecti's two lists, for acl.conf.xml's <network-lists>. */
export function aclListsXml(config: Config): string {
  const inbound = config.fsConfig.inboundAllow;
  return [
    '<include>',
    ...list(ESL_ACL, ['127.0.0.0/8', ...config.fsConfig.eventSocketAllow], "freecti's hosts: may use the event socket"),
    ...list(
      INBOUND_ACL,
      inbound,
      inbound.length === 0
        ? 'EMPTY: no address may send calls in yet; list your carriers/SBCs in fsConfig.inboundAllow'
        : 'carriers/SBCs allowed to send calls into the public context',
    ),
    '</include>',
    '',
  ].join('\n');
}

/** Relative to sip_profiles/. */
export function profileInclude(config: Config): string {
  return `freecti/${config.fsConfig.inboundProfile}-settings.xml`;
}

/**
 * sip_profiles/freecti/<profile>-settings.xml: params for the `<settings>` of the profile
 * that receives calls from outside. Included as the last line of `<settings>`: sofia
 * reads params in order, so these win over the profile's own `context` and `auth-calls`.
 */
export function profileSettingsXml(config: Config): string {
  return [
    '<include>',
    `  <param name="context" value="${escapeXml(config.fsConfig.publicContext)}"/>`,
    `  <param name="apply-inbound-acl" value="${INBOUND_ACL}"/>`,
    '  <!-- false: calls from other addresses are refused, not challenged -->',
    '  <param name="auth-calls" value="false"/>',
    '</include>',
    '',
  ].join('\n');
}
