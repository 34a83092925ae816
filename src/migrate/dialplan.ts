/**
 * `freecti migrate-dialplan` (docs/migration.md): rewrites the mod_cti / nacd
 * applications of a FreeSWITCH dialplan XML into the freecti form, editing only the
 * spans of the tags it changes (xml-tags.ts); every other byte stays as it was.
 *
 * | mod_cti / nacd | freecti |
 * |---|---|
 * | `<action application="cti_curl" data="URL"/>`, `<X-PRE-PROCESS cmd="cti_curl" data="URL"/>` | `set cti_curl=URL` (with `\\\${` so FreeSWITCH's two expansions of `set` leave the template to freecti) + `socket <addr> async full` |
 * | `cti_bridge <args>` | `set cti_bridge=<args>` + `socket` |
 * | `nbridge <dial string>` | `set cti_nbridge=<dial string>` + `socket`: freecti bridges with the caller's DID-out (docs/nacd.md "nbridge") |
 * | `nacd <group>` | `set nacd_group=<group>` (no group: `@dialed`, the dialed number as freecti reads it) + `socket`: freecti runs the HTTP callflow (docs/nacd.md) |
 * | `nin_did`, `nout_did` | `set nacd_did=in` / `set nacd_did=out` + `socket`: freecti's DID tables (docs/nacd.md "DID") |
 * | `nwaycallout` | left as it is, reported: freecti runs campaigns over REST (`POST /api/v1/nacd/callouts`), not from the dialplan |
 */
import { encodeXmlAttribute, scanTags, type XmlTag } from './xml-tags.js';
import { DIALED_GROUP } from '../nacd/nacd-action.js';

export interface DialplanNote {
  line: number;
  application: string;
  changed: boolean;
  /** What was done, or why nothing was. */
  message: string;
}

export interface DialplanMigration {
  text: string;
  notes: DialplanNote[];
}

interface Action {
  application: string;
  data: string;
}

/** Applications of nacd that freecti does not stand in for in the dialplan, and why. */
const LEFT: Readonly<Record<string, string>> = {
  nwaycallout: "nacd's nwaycallout is a REST campaign in freecti (POST /api/v1/nacd/callouts, docs/nacd.md \"nwaycallout\"), not a dialplan application",
};

/**
 * `${var}` (and `\${var}`) -> `\\\${var}`, so the variable `cti_curl` holds `${var}` for freecti
 * to expand url-encoded: FreeSWITCH expands a `set`'s data twice (switch_core_session_exec,
 * then mod_dptools' base_set), and each pass turns `\\` into `\` and `\$` into `$`.
 * `$${global}` (expanded when the XML is loaded) stays.
 */
export function escapeTemplate(url: string): string {
  return url.replace(/(^|[^$\\])\\?\$\{/g, '$1\\\\\\${');
}

export function migrateDialplan(text: string, options: { socket: string }): DialplanMigration {
  const notes: DialplanNote[] = [];
  const edits: { start: number; end: number; replacement: string }[] = [];
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  for (const tag of scanTags(text)) {
    const found = migratable(tag);
    if (found === undefined) continue;
    const { application, data, element } = found;
    const done = (actions: Action[], message: string): void => {
      const indent = indentOf(text, tag.start);
      const replacement = actions.map((a) => `<${element} application="${encodeXmlAttribute(a.application)}" data="${encodeXmlAttribute(a.data)}"/>`).join(newline + indent);
      edits.push({ start: tag.start, end: tag.end, replacement });
      notes.push({ line: tag.line, application, changed: true, message });
    };
    const left = (message: string): void => void notes.push({ line: tag.line, application, changed: false, message });
    if (!tag.selfClosing) {
      left(`<${tag.name}> with content is not rewritten; write it as an empty element`);
      continue;
    }
    const socket = { application: 'socket', data: `${options.socket} async full` };
    switch (application) {
      case 'cti_curl':
        if (data.trim() === '') left('cti_curl without a URL');
        else done([{ application: 'set', data: `cti_curl=${escapeTemplate(data.trim())}` }, socket], 'set cti_curl=<URL template> + socket: freecti asks the URL and runs its actions (docs/cti-curl.md)');
        break;
      case 'cti_bridge':
        if (data.trim() === '') left('cti_bridge without arguments');
        else done([{ application: 'set', data: `cti_bridge=${data.trim()}` }, socket], 'set cti_bridge=<args> + socket: freecti runs the HTTP bridge (docs/bridge.md)');
        break;
      case 'nacd': {
        // No group: the dialed number, read by freecti (DIALED_GROUP), never `${destination_number}` expanded by FreeSWITCH.
        const group = data.trim() === '' ? DIALED_GROUP : data.trim();
        done([{ application: 'set', data: `nacd_group=${group}` }, socket], 'set nacd_group=<group> + socket: freecti runs the HTTP callflow of the group (docs/nacd.md)');
        break;
      }
      case 'nin_did':
      case 'nout_did': {
        const direction = application === 'nin_did' ? 'in' : 'out';
        done([{ application: 'set', data: `nacd_did=${direction}` }, socket], `set nacd_did=${direction} + socket: freecti looks the ${direction === 'in' ? 'dialed number' : "caller's number"} up in its DID-${direction} table (docs/nacd.md "DID"; fill it over /api/v1/nacd/did/${direction})`);
        break;
      }
      case 'nbridge':
        if (data.trim() === '') left('nbridge without a dial string');
        else done([{ application: 'set', data: `cti_nbridge=${data.trim()}` }, socket], "set cti_nbridge=<dial string> + socket: freecti bridges with the caller's DID-out caller id and line group (docs/nacd.md \"nbridge\")");
        break;
      default:
        left(LEFT[application] ?? `${application}: no freecti equivalent`);
    }
  }
  let out = '';
  let at = 0;
  for (const edit of edits) {
    out += text.slice(at, edit.start) + edit.replacement;
    at = edit.end;
  }
  return { text: out + text.slice(at), notes };
}

function migratable(tag: XmlTag): { application: string; data: string; element: string } | undefined {
  if (tag.name === 'action' || tag.name === 'anti-action') {
    const application = tag.attributes.get('application') ?? '';
    if (application === 'cti_curl' || application === 'cti_bridge' || application === 'nbridge' || application === 'nacd' || application === 'nin_did' || application === 'nout_did' || application in LEFT) {
      return { application, data: tag.attributes.get('data') ?? '', element: tag.name };
    }
    return undefined;
  }
  // Seed 000 writes cti_curl as a pre-processor line inside the condition; it becomes an action there.
  if (tag.name === 'X-PRE-PROCESS' && tag.attributes.get('cmd') === 'cti_curl') return { application: 'cti_curl', data: tag.attributes.get('data') ?? '', element: 'action' };
  return undefined;
}

/** The whitespace that starts the line of `offset` (for the added second tag). */
function indentOf(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset))?.[0] ?? '';
}
