/**
 * `freecti fs-config`: the FreeSWITCH configuration for this deployment, one part per
 * file, derived from freecti's own config (docs/routing.md, "FreeSWITCH configuration").
 * Each part says where it goes and how: a file it replaces, a new file in a directory
 * FreeSWITCH already includes, or a new include file plus the one X-PRE-PROCESS line to
 * add to an existing file (so the operator's other ACL lists and profile settings stay).
 * Refuses (CONFIG_INVALID) to emit anything unsafe: a well-known event-socket password,
 * a non-loopback event socket without an ACL, a public route whose fallback reaches
 * outbound lines, or `api-expansion=false` with a directory dial-string that needs an api.
 */
import type { Config } from '../config/schema.js';
import { FreectiError } from '../errors.js';
import { ACL_INCLUDE, aclListsXml, profileInclude, profileSettingsXml } from './acl.js';
import { internalContextNote, publicContextXml } from './dialplan.js';
import { eventSocketXml } from './event-socket.js';
import { fallbackRefusal } from '../routing/router.js';
import { FsPolicy } from '../fs-lang/policy.js';
import { policyOptions } from '../fs-lang/policy-options.js';
import { xmlCurlXml } from './xml-curl.js';
import { ninDidXml, noutDidXml } from './nacd-did.js';
import { checkApiExpansionOff, SWITCH_INCLUDE, switchSettingsXml } from './switch-settings.js';
import { registrationProfileInclude, registrationProfileXml, SOFIA_GLOBAL_INCLUDE, sofiaGlobalSettingsXml } from './registration-threads.js';

/** How a part goes into FreeSWITCH's conf directory. */
export type Install =
  /** The part is the whole file: it replaces the file of that name. */
  | { kind: 'replace'; why: string }
  /** A new file in a directory FreeSWITCH already includes (`loadedBy`). */
  | { kind: 'new'; loadedBy: string }
  /** A new file, loaded by one line added to `into` as the last line inside its `<inside>` element. */
  | { kind: 'include'; into: string; inside: string; line: string };

export interface FsConfigFile {
  /** Path under FreeSWITCH's conf directory. */
  path: string;
  description: string;
  install: Install;
  content: string;
}

export function generateFsConfig(config: Config): FsConfigFile[] {
  const policy = new FsPolicy(policyOptions(config));
  for (const route of config.routing.routes) {
    const why = fallbackRefusal(route, config.fsConfig.publicContext, policy);
    if (why !== undefined) throw new FreectiError('CONFIG_INVALID', `config routing.routes '${route.id}': fallback ${why}`);
  }
  if (config.fsConfig.disableApiExpansion) checkApiExpansionOff(config);
  const { publicContext, internalContext, inboundProfile } = config.fsConfig;
  const nodes = config.freeswitch.nodes;
  return [
    ...nodes.map((node, index) => ({
      path: 'autoload_configs/event_socket.conf.xml',
      description: `event socket of node ${node.name}${nodes.length > 1 ? ' (one file per node, on that node)' : ''}`,
      install: { kind: 'replace', why: 'the whole module configuration: loopback (or an ACL), a strong password' } as const,
      content: eventSocketXml(config, node, index),
    })),
    {
      path: 'autoload_configs/xml_curl.conf.xml',
      description: 'mod_xml_curl asks freecti for users and dialplan',
      install: { kind: 'replace', why: "the vanilla file's example binding has no gateway-url, which stops mod_xml_curl from loading" },
      content: xmlCurlXml(config),
    },
    {
      path: `autoload_configs/${ACL_INCLUDE}`,
      description: 'who may use the event socket and send calls in (two ACL lists)',
      install: { kind: 'include', into: 'autoload_configs/acl.conf.xml', inside: 'network-lists', line: `<X-PRE-PROCESS cmd="include" data="${ACL_INCLUDE}"/>` },
      content: aclListsXml(config),
    },
    {
      path: `sip_profiles/${profileInclude(config)}`,
      description: `settings of the profile "${inboundProfile}" that receives calls from outside; the profile must exist and run (\`sofia status\` lists it RUNNING; a sip_profiles/${inboundProfile}.xml.noload is not loaded)`,
      install: { kind: 'include', into: `sip_profiles/${inboundProfile}.xml`, inside: 'settings', line: `<X-PRE-PROCESS cmd="include" data="${profileInclude(config)}"/>` },
      content: profileSettingsXml(config),
    },
    {
      path: `dialplan/${publicContext}.xml`,
      description: `static fallback of the public context (no outbound); keeps including dialplan/${publicContext}/*.xml`,
      install: { kind: 'replace', why: `a context is one unit: the vanilla public.xml transfers every call it does not know into "default"` },
      content: publicContextXml(config),
    },
    {
      path: `dialplan/${internalContext}/00_freecti.xml`,
      description: 'note on the internal context',
      install: { kind: 'new', loadedBy: `dialplan/${internalContext}.xml (vanilla: <X-PRE-PROCESS cmd="include" data="${internalContext}/*.xml"/>)` },
      content: internalContextNote(config),
    },
    ...(config.fsConfig.maxRegThreads === 0
      ? []
      : [
          {
            path: `sip_profiles/${registrationProfileInclude(config)}`,
            description: `profile "${config.fsConfig.registrationProfile}" (where phones REGISTER) hands each REGISTER to a thread of its own, so REGISTERs do not wait one after another for their directory lookups (docs/xml-curl.md "Registration storms"); read when the profile starts: \`sofia profile ${config.fsConfig.registrationProfile} restart\``,
            install: { kind: 'include', into: `sip_profiles/${config.fsConfig.registrationProfile}.xml`, inside: 'settings', line: `<X-PRE-PROCESS cmd="include" data="${registrationProfileInclude(config)}"/>` } as const,
            content: registrationProfileXml(),
          },
          {
            path: `autoload_configs/${SOFIA_GLOBAL_INCLUDE}`,
            description: `at most fsConfig.maxRegThreads (${config.fsConfig.maxRegThreads}) such REGISTER threads at once; without it the profile flag does nothing; read when mod_sofia loads: \`reload mod_sofia\` or restart FreeSWITCH`,
            install: { kind: 'include', into: 'autoload_configs/sofia.conf.xml', inside: 'global_settings', line: `<X-PRE-PROCESS cmd="include" data="${SOFIA_GLOBAL_INCLUDE}"/>` } as const,
            content: sofiaGlobalSettingsXml(config),
          },
        ]),
    ...(config.fsConfig.disableApiExpansion
      ? [
          {
            path: `autoload_configs/${SWITCH_INCLUDE}`,
            description:
              'fsConfig.disableApiExpansion: FreeSWITCH runs no api function inside ${...} (docs/security.md); switch.conf.xml is read only at start: restart FreeSWITCH, or apply it now with `fsctl api_expansion off`',
            install: { kind: 'include', into: 'autoload_configs/switch.conf.xml', inside: 'settings', line: `<X-PRE-PROCESS cmd="include" data="${SWITCH_INCLUDE}"/>` } as const,
            content: switchSettingsXml(),
          },
        ]
      : []),
    ...(config.fsConfig.nacdDidIn === null
      ? []
      : [
          {
            path: `dialplan/${publicContext}/50_freecti_nin_did.xml`,
            description: 'nacd nin_did: the DID numbers of fsConfig.nacdDidIn go to the DID-in table (docs/nacd.md "DID")',
            install: { kind: 'new', loadedBy: `dialplan/${publicContext}.xml (<X-PRE-PROCESS cmd="include" data="${publicContext}/*.xml"/>)` } as const,
            content: ninDidXml(config, config.fsConfig.nacdDidIn),
          },
        ]),
    ...(config.fsConfig.nacdDidOut === null
      ? []
      : [
          {
            path: `dialplan/${internalContext}/50_freecti_nout_did.xml`,
            description: 'nacd nout_did: calls of registered users to fsConfig.nacdDidOut numbers leave with their DID-out caller id (docs/nacd.md "DID")',
            install: { kind: 'new', loadedBy: `dialplan/${internalContext}.xml (vanilla: <X-PRE-PROCESS cmd="include" data="${internalContext}/*.xml"/>)` } as const,
            content: noutDidXml(config, config.fsConfig.nacdDidOut),
          },
        ]),
  ];
}

/** One line saying what to do with a part. */
export function installText(file: FsConfigFile): string {
  const { install } = file;
  switch (install.kind) {
    case 'replace':
      return `REPLACE the file ${file.path} with this part (${install.why}).`;
    case 'new':
      return `NEW file ${file.path}; loaded by ${install.loadedBy}.`;
    case 'include':
      return `NEW file ${file.path}, then ADD this line to ${install.into} as the last line inside <${install.inside}> (everything else there stays):\n       ${install.line}`;
  }
}

/**
 * Adds a part's include line to the text of the file it goes into, as the last line
 * inside the first `<inside>` element (what installText tells the operator to do).
 * Throws when the file has no such element, or already has the line.
 */
export function addInclude(target: string, install: Extract<Install, { kind: 'include' }>): string {
  if (target.includes(install.line)) throw new Error(`${install.into} already has ${install.line}`);
  const open = new RegExp(`<${install.inside}(?:\\s[^>]*)?>`).exec(target);
  const close = open === null ? -1 : target.indexOf(`</${install.inside}>`, open.index);
  if (open === null || close < 0) throw new Error(`${install.into} has no <${install.inside}> element`);
  const lineStart = target.lastIndexOf('\n', close) + 1;
  const indent = /^[ \t]*$/.test(target.slice(lineStart, close)) ? target.slice(lineStart, close) : '';
  const at = indent === '' ? close : lineStart;
  return `${target.slice(0, at)}${indent}  ${install.line}\n${target.slice(at)}`;
}

/** Everything as one text for stdout: the steps, then each part under a banner saying where it goes. */
export function renderFsConfig(files: readonly FsConfigFile[], config: Pick<Config, 'fsConfig'>): string {
  const profile = config.fsConfig.inboundProfile;
  const header = [
    '<!-- FreeSWITCH configuration generated by `freecti fs-config`.',
    '',
    '     Where: every path below is relative to FreeSWITCH\'s conf directory:',
    '       /usr/local/freeswitch/etc/freeswitch  (built from source)',
    '       /etc/freeswitch                       (Debian/Ubuntu packages)',
    '     `fs_cli -x "global_getvar conf_dir"` prints yours.',
    '',
    '     Steps:',
    '     1. Start freecti first: once mod_xml_curl is bound, FreeSWITCH asks freecti for every',
    '        user and call, and logs a connection error for each while freecti is not running.',
    '     2. Put each part in place as its banner says: REPLACE a file, a NEW file, or a NEW include',
    '        file plus one X-PRE-PROCESS line ADDed to an existing file (your other lists and',
    '        settings stay).',
    `     3. The "${profile}" SIP profile must exist and run: \`fs_cli -x "sofia status"\` lists it`,
    `        RUNNING (vanilla sip_profiles/${profile}.xml; a file ending .noload is not loaded).`,
    '     4. In fs_cli: reloadxml, reloadacl, reload mod_xml_curl (load mod_xml_curl if it is not',
    `        loaded; enable it in modules.conf.xml), sofia profile ${profile} restart, and`,
    '        reload mod_event_socket LAST: it restarts the socket fs_cli talks through, and from then on every',
    '        fs_cli command needs -p <the new password> (fs_cli -p \'<password>\' -x "...").',
    '-->',
    '',
  ];
  return [
    ...header,
    ...files.flatMap((f) => [`<!-- ===== ${f.path}: ${f.description} =====`, `     ${installText(f)} -->`, f.content]),
  ].join('\n');
}
