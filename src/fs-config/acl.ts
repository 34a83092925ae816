/**
 * acl.conf.xml lists and the sofia profile settings that keep calls from outside in the
 * public context, from allowed addresses only (seed 000, "呼入安全配置").
 */
import type { Config } from '../config/schema.js';
import { escapeXml } from '../xml-curl/xml.js';
import { ESL_ACL } from './event-socket.js';

export const INBOUND_ACL = 'freecti_inbound';

function list(name: string, cidrs: readonly string[], comment: string): string[] {
  return [
    `    <!-- ${comment} -->`,
    `    <list name="${name}" default="deny">`,
    ...cidrs.map((cidr) => `      <node type="allow" cidr="${escapeXml(cidr)}"/>`),
    '    </list>',
  ];
}

export function aclXml(config: Config): string {
  const inbound = config.fsConfig.inboundAllow;
  return [
    '<configuration name="acl.conf" description="Network Lists">',
    '  <network-lists>',
    '    <!-- keep your own lists (e.g. the vanilla "domains" list used by the internal profile) -->',
    '    <list name="domains" default="deny">',
    '      <node type="allow" domain="$${domain}"/>',
    '    </list>',
    ...list(ESL_ACL, ['127.0.0.0/8', ...config.fsConfig.eventSocketAllow], "freecti's hosts: may use the event socket"),
    ...list(
      INBOUND_ACL,
      inbound,
      inbound.length === 0
        ? 'EMPTY: no address may send calls in yet; list your carriers/SBCs in fsConfig.inboundAllow'
        : 'carriers/SBCs allowed to send calls into the public context',
    ),
    '  </network-lists>',
    '</configuration>',
    '',
  ].join('\n');
}

/** The settings of the SIP profile that receives calls from outside (vanilla: external). */
export function sofiaInboundXml(config: Config): string {
  return [
    '<!-- merge into the <settings> of the profile that receives calls from outside (vanilla: sip_profiles/external.xml), then "reload mod_sofia" -->',
    '<settings>',
    `  <param name="context" value="${escapeXml(config.fsConfig.publicContext)}"/>`,
    `  <param name="apply-inbound-acl" value="${INBOUND_ACL}"/>`,
    '  <!-- false: calls from other addresses are refused, not challenged -->',
    '  <param name="auth-calls" value="false"/>',
    '</settings>',
    '',
  ].join('\n');
}
