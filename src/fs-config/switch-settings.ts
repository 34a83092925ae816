/**
 * `fsConfig.disableApiExpansion`: a switch.conf.xml setting that stops FreeSWITCH from
 * running api functions inside `${...}` expansions (SCF_API_EXPANSION, switch_core.c;
 * switch_channel_expand_variables_check puts `<API Execute Permission Denied>` in their
 * place). Recorded on 1.11.3 in test/fixtures/freeswitch/expansion/caller-fields-probe.txt:
 * `${expr(..)}` and `${strftime(..)}` stop, plain `${var}` references still expand, and
 * a dial-string that calls `${sofia_contact(..)}` no longer dials.
 */
import type { Config } from '../config/schema.js';
import { FreectiError } from '../errors.js';
import { parseExpansions } from '../fs-lang/expansion.js';

export const SWITCH_INCLUDE = 'freecti/switch-settings.xml';

/** The api calls (or nested forms FreeSWITCH would run as one) in a dial-string. */
function apiCallsIn(text: string): string[] {
  return parseExpansions(text).flatMap((p) => (p.kind === 'call' || p.kind === 'invalid' ? [p.raw] : []));
}

/**
 * Refuses the setting when freecti's own directory would stop working with it: the
 * `dial-string` it serves with every user (directory.dialString) may not call an api.
 */
export function checkApiExpansionOff(config: Config): void {
  const calls = apiCallsIn(config.directory.dialString);
  if (calls.length > 0) {
    throw new FreectiError(
      'CONFIG_INVALID',
      `config fsConfig.disableApiExpansion: directory.dialString calls ${calls.join(', ')}, which FreeSWITCH no longer runs, so user/<extension> would stop dialing; ` +
        "serve a dial-string without api calls, e.g. '{^^:sip_invite_domain=${dialed_domain}:presence_id=${dialed_user}@${dialed_domain}}sofia/internal/${dialed_user}%${dialed_domain}' (your internal profile's name)",
    );
  }
}

/** autoload_configs/freecti/switch-settings.xml: for switch.conf.xml's <settings>. */
export function switchSettingsXml(): string {
  return [
    '<include>',
    '  <!-- freecti (fsConfig.disableApiExpansion): no api function runs inside ${...}: not ${system(..)},',
    '       nor ${strftime(..)}, ${sofia_contact(..)}, ${user_data(..)}, ${hash(..)}... of your own dialplan',
    '       and directory. Plain ${variable} references still expand. -->',
    '  <param name="api-expansion" value="false"/>',
    '</include>',
    '',
  ].join('\n');
}
