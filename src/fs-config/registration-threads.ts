/**
 * Parallel REGISTER handling (docs/xml-curl.md "Registration storms"): by default sofia
 * handles REGISTERs one after the other in its message thread and waits there for each
 * mod_xml_curl directory lookup (sofia.c `sofia_queue_message`). A REGISTER goes to a thread
 * of its own only when the profile has `inbound-reg-in-new-thread` AND sofia.conf's global
 * settings have `max-reg-threads` (default 0: the flag alone does nothing), up to that many
 * at once; past it REGISTERs queue as before.
 */
import type { Config } from '../config/schema.js';

/** Relative to sip_profiles/. */
export function registrationProfileInclude(config: Config): string {
  return `freecti/${config.fsConfig.registrationProfile}-registration.xml`;
}

/** Relative to autoload_configs/. */
export const SOFIA_GLOBAL_INCLUDE = 'freecti/sofia-global-settings.xml';

/** sip_profiles/freecti/<profile>-registration.xml, for the `<settings>` of the profile phones register to. */
export function registrationProfileXml(): string {
  return ['<include>', '  <param name="inbound-reg-in-new-thread" value="true"/>', '</include>', ''].join('\n');
}

/** autoload_configs/freecti/sofia-global-settings.xml, for sofia.conf.xml's `<global_settings>`. */
export function sofiaGlobalSettingsXml(config: Config): string {
  return ['<include>', `  <param name="max-reg-threads" value="${config.fsConfig.maxRegThreads}"/>`, '</include>', ''].join('\n');
}
