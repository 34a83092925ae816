/**
 * xml_curl.conf.xml: one binding whose gateway-url is freecti's `/freeswitch/xml`, for
 * the directory and (when routing is on) the dialplan, always with a `timeout`
 * (without it a hung request stalls the FreeSWITCH thread that asked; fixtures README,
 * "Operating notes"). The timeout is raised above the slowest configured route
 * (connect + response timeout + 1 s), so that freecti's fallback reaches FreeSWITCH
 * before FreeSWITCH gives up.
 */
import type { Config } from '../config/schema.js';
import { escapeXml } from '../xml-curl/xml.js';

export function freectiBaseUrl(config: Config): string {
  if (config.fsConfig.freectiUrl !== undefined) return config.fsConfig.freectiUrl;
  const { host, port } = config.http;
  const reachable = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** Seconds: the configured value, or more when a route may take longer. */
export function xmlCurlTimeoutSeconds(config: Config): number {
  const slowest = Math.max(0, ...config.routing.routes.map((r) => r.connectTimeoutMs + r.responseTimeoutMs));
  return Math.max(config.fsConfig.xmlCurlTimeoutSeconds, Math.ceil(slowest / 1000) + 1);
}

export function xmlCurlXml(config: Config): string {
  const sections = config.routing.enabled ? 'directory|dialplan' : 'directory';
  const timeout = xmlCurlTimeoutSeconds(config);
  const lines = [
    '<configuration name="xml_curl.conf" description="cURL XML Gateway">',
    '  <bindings>',
    '    <binding name="freecti">',
    `      <param name="gateway-url" value="${escapeXml(`${freectiBaseUrl(config)}/freeswitch/xml`)}" bindings="${sections}"/>`,
    `      <!-- seconds; keep every route's connectTimeoutMs + responseTimeoutMs below ${(timeout - 1) * 1000} ms -->`,
    `      <param name="timeout" value="${timeout}"/>`,
    '      <param name="disable-100-continue" value="true"/>',
  ];
  if (config.xmlCurl.credentials !== undefined) {
    lines.push('      <param name="auth-scheme" value="basic"/>');
    lines.push(`      <param name="gateway-credentials" value="${escapeXml(config.xmlCurl.credentials)}"/>`);
  }
  lines.push('    </binding>', '  </bindings>', '</configuration>', '');
  return lines.join('\n');
}
