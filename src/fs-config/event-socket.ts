/**
 * event_socket.conf.xml for one FreeSWITCH node: listens on loopback (or on the node's
 * own address, then only freecti's hosts may connect through the `freecti_esl` ACL),
 * with the password from freecti's config. The well-known default password is refused.
 */
import type { Config, FsNodeConfig } from '../config/schema.js';
import { FreectiError } from '../errors.js';
import { escapeXml } from '../xml-curl/xml.js';

export const ESL_ACL = 'freecti_esl';
const WELL_KNOWN = new Set(['ClueCon', 'cluecon', '']);

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export function eventSocketXml(config: Config, node: FsNodeConfig, index: number): string {
  if (WELL_KNOWN.has(node.password) || node.password.length < 12) {
    throw new FreectiError('CONFIG_INVALID', `config freeswitch.nodes[${index}].password: set a strong password (12+ characters, not the well-known 'ClueCon') before generating event_socket.conf.xml`);
  }
  const loopback = isLoopback(node.host);
  if (!loopback && config.fsConfig.eventSocketAllow.length === 0) {
    throw new FreectiError('CONFIG_INVALID', `config fsConfig.eventSocketAllow: node '${node.name}' is not on loopback; list freecti's addresses (CIDR) that may use its event socket`);
  }
  const listenIp = loopback ? (node.host === '::1' ? '::1' : '127.0.0.1') : node.host;
  return [
    `<!-- node ${escapeXml(node.name)}: freecti connects to ${escapeXml(node.host)}:${node.port} -->`,
    '<configuration name="event_socket.conf" description="Socket Client">',
    '  <settings>',
    '    <param name="nat-map" value="false"/>',
    `    <param name="listen-ip" value="${escapeXml(listenIp)}"/>`,
    `    <param name="listen-port" value="${node.port}"/>`,
    `    <param name="password" value="${escapeXml(node.password)}"/>`,
    `    <param name="apply-inbound-acl" value="${loopback ? 'loopback.auto' : ESL_ACL}"/>`,
    '  </settings>',
    '</configuration>',
    '',
  ].join('\n');
}
