/**
 * The nin_did / nout_did extensions of `freecti fs-config` (docs/nacd.md "DID"): the
 * numbers of `fsConfig.nacdDidIn` in the public context and of `fsConfig.nacdDidOut` in
 * the internal context go to freecti's outbound socket with `nacd_did=in|out`.
 * - in: when freecti cannot take the call (down), the call is hung up after `socket`;
 * - out: `continue="true"`: a caller with no DID-out entry comes back from the socket and
 *   the operator's next matching extension (e.g. a plain bridge) runs.
 */
import type { Config } from '../config/schema.js';
import { controlSocketAddress } from '../routing/control-dialplan.js';
import { escapeXml } from '../xml-curl/xml.js';

function socketOf(config: Config): string {
  return escapeXml(controlSocketAddress(config.eslOutbound.host, config.eslOutbound.port));
}

export function ninDidXml(config: Config, pattern: string): string {
  return [
    '<include>',
    '  <!-- nacd nin_did (seed 004): these dialed numbers are looked up in freecti\'s DID-in table',
    '       (an extension, an ACD queue or a nacd group; /api/v1/nacd/did/in). No entry: freecti\'s',
    '       nacd.fallback (a prompt and hangup). freecti unreachable: hangup. -->',
    '  <extension name="freecti_nin_did">',
    `    <condition field="destination_number" expression="${escapeXml(pattern)}">`,
    '      <action application="set" data="nacd_did=in"/>',
    `      <action application="socket" data="${socketOf(config)} async full"/>`,
    '      <action application="hangup" data="NORMAL_TEMPORARY_FAILURE"/>',
    '    </condition>',
    '  </extension>',
    '</include>',
    '',
  ].join('\n');
}

export function noutDidXml(config: Config, pattern: string): string {
  return [
    '<include>',
    '  <!-- nacd nout_did (seed 004): calls of registered users to these numbers leave with the caller',
    '       id and the line group (or gateway) of the caller\'s DID-out entry (/api/v1/nacd/did/out).',
    '       No entry: freecti gives the call back and the next matching extension runs (continue). -->',
    '  <extension name="freecti_nout_did" continue="true">',
    `    <condition field="destination_number" expression="${escapeXml(pattern)}">`,
    '      <action application="set" data="nacd_did=out"/>',
    `      <action application="socket" data="${socketOf(config)} async full"/>`,
    '    </condition>',
    '  </extension>',
    '</include>',
    '',
  ].join('\n');
}
