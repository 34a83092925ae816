/**
 * The directory document for one user (the shape FreeSWITCH accepted in
 * xml-curl/served-directory-user-1005.xml). Every value is XML-escaped.
 *
 * The policy params freecti enforces itself (register-policy.ts) are not passed on,
 * so FreeSWITCH does not apply its own, different, version of them; the exception is an
 * `auth-acl` that names one FreeSWITCH ACL list, which only FreeSWITCH can check
 * (auth-acl.ts). A refused
 * request gets the user with a random password: FreeSWITCH's digest check fails and
 * it answers 403 (a found user never falls back to the static XML).
 */
import { randomBytes } from 'node:crypto';
import { escapeXml } from '../xml-curl/xml.js';
import { namedAuthAcl } from './auth-acl.js';
import type { Extension } from './extension-schema.js';

export const POLICY_PARAMS: ReadonlySet<string> = new Set([
  'auth-acl',
  'user-agent-filter',
  'max-registrations-per-extension',
  'sip-forbid-register',
  'allow-empty-password',
]);

export interface UserDocumentOptions {
  dialString: string;
  /** Serve an unguessable password instead of the real credentials. */
  refuse?: boolean;
}

export function userDocument(domain: string, user: string, ext: Extension, options: UserDocumentOptions): string {
  const attrs = userAttributes(ext);
  const params: string[] = [];
  let dialString = options.dialString;
  if (options.refuse === true) {
    params.push(param('password', randomBytes(24).toString('hex')));
  }
  for (const [name, raw] of Object.entries(ext.param ?? {})) {
    if (raw === undefined || POLICY_PARAMS.has(name)) continue;
    if (options.refuse === true && (name === 'password' || name === 'a1-hash')) continue;
    if (name === 'dial-string') {
      dialString = String(raw);
      continue;
    }
    params.push(param(name, String(raw)));
  }
  const aclName = namedAuthAcl(ext.param?.['auth-acl']);
  if (aclName !== undefined) params.push(param('auth-acl', aclName));
  params.push(param('dial-string', dialString));
  const variables = Object.entries(ext.variable ?? {}).map(
    ([name, value]) => `          <variable name="${escapeXml(name)}" value="${escapeXml(String(value))}"/>\n`,
  );
  return (
    '<document type="freeswitch/xml">\n' +
    '  <section name="directory">\n' +
    `    <domain name="${escapeXml(domain)}">\n` +
    `      <user id="${escapeXml(user)}"${attrs}>\n` +
    `        <params>\n${params.join('')}        </params>\n` +
    (variables.length === 0 ? '' : `        <variables>\n${variables.join('')}        </variables>\n`) +
    '      </user>\n' +
    '    </domain>\n' +
    '  </section>\n' +
    '</document>\n'
  );
}

function param(name: string, value: string): string {
  return `          <param name="${escapeXml(name)}" value="${escapeXml(value)}"/>\n`;
}

function userAttributes(ext: Extension): string {
  let out = '';
  const cacheable = ext.attribute?.cacheable;
  if (cacheable !== undefined && cacheable !== false && cacheable !== 'false') out += ` cacheable="${escapeXml(String(cacheable))}"`;
  const alias = ext.attribute?.['number-alias'];
  if (alias !== undefined) out += ` number-alias="${escapeXml(alias)}"`;
  return out;
}
