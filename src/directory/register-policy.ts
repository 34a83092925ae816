/**
 * The registration rules of an extension that freecti enforces itself
 * (docs/xml-curl.md explains each against FreeSWITCH's sofia_reg.c):
 *
 * | param | applies to | rule |
 * |---|---|---|
 * | sip-forbid-register | REGISTER | true: refused |
 * | auth-acl | every sip_auth (REGISTER, INVITE, ...) | CIDRs: `ip` must be in the list; one ACL list name: served to FreeSWITCH, which enforces it; a mix or a list that does not parse refuses (auth-acl.ts) |
 * | user-agent-filter | every sip_auth | `sip_user_agent` must match; an invalid or unsafe regex refuses |
 * | allow-empty-password | every sip_auth | no password and no a1-hash: refused unless true |
 * | max-registrations-per-extension | REGISTER | live contacts of the extension (all nodes) + this one <= max; a contact already registered (same Call-ID, or same source `ip:port` as a live contact) is a refresh, a re-REGISTER or an unREGISTER and always passes |
 *
 * Pure except for `liveContacts`, which is only called when a max is set.
 */
import type { XmlCurlRequest } from '../xml-curl/request.js';
import { parseAuthAcl } from './auth-acl.js';
import { isTrue, type Extension } from './extension-schema.js';
import { compileUserAgentFilter } from './user-agent-filter.js';
import { networkAddress } from '../registrations/registration-event.js';

export type PolicyVerdict = { allow: true } | { allow: false; reason: string; misconfigured?: boolean };

export interface PolicyContext {
  extension: string;
  domain: string;
  liveContacts(): Promise<{ count: number; callIds: Set<string>; addresses: Set<string> }>;
}

const ALLOW: PolicyVerdict = { allow: true };

/** A digest request's method is REGISTER (`sip_auth_method`, any letter case). */
export function isRegisterMethod(req: XmlCurlRequest): boolean {
  return (req.get('sip_auth_method') ?? '').toUpperCase() === 'REGISTER';
}

export async function checkSipAuth(req: XmlCurlRequest, ext: Extension, ctx: PolicyContext): Promise<PolicyVerdict> {
  const params = ext.param ?? {};
  const isRegister = isRegisterMethod(req);

  if (isRegister && isTrue(params['sip-forbid-register'])) return { allow: false, reason: 'sip-forbid-register is set' };

  const acl = params['auth-acl'];
  if (acl !== undefined && acl.trim() !== '') {
    const ip = req.get('ip') ?? '';
    const parsed = parseAuthAcl(acl);
    if (parsed.kind === 'invalid') return { allow: false, reason: `auth-acl does not parse (${parsed.reason})`, misconfigured: true };
    // A named list is served to FreeSWITCH, which enforces it (auth-acl.ts).
    if (parsed.kind === 'cidrs' && !parsed.list.contains(ip)) return { allow: false, reason: `address ${ip || '(none)'} is outside auth-acl ${acl}` };
  }

  const filter = params['user-agent-filter'];
  if (filter !== undefined && filter !== '') {
    const compiled = compileUserAgentFilter(filter);
    if (!compiled.ok) return { allow: false, reason: `user-agent-filter refused: ${compiled.reason}`, misconfigured: true };
    const userAgent = req.get('sip_user_agent') ?? '';
    if (!compiled.test(userAgent)) return { allow: false, reason: `user agent '${userAgent.slice(0, 80)}' does not match user-agent-filter` };
  }

  const password = params.password === undefined ? '' : String(params.password);
  if (password === '' && params['a1-hash'] === undefined && !isTrue(params['allow-empty-password'])) {
    return { allow: false, reason: 'empty password and allow-empty-password is not true' };
  }

  const max = Number(params['max-registrations-per-extension'] ?? 0);
  if (isRegister && max > 0) {
    const callId = req.get('sip_call_id') ?? '';
    const live = await ctx.liveContacts();
    // The directory request does not say whether it is an unREGISTER (no Expires), and a
    // device may unREGISTER (or re-REGISTER after a reboot) with a new Call-ID (recorded:
    // sipp): a request from the source address of a live contact is that same device.
    const address = networkAddress(req.get('ip'), req.get('client_port'));
    const known = live.callIds.has(callId) || (address !== '' && live.addresses.has(address));
    if (!known && live.count + 1 > max) {
      return { allow: false, reason: `max-registrations-per-extension ${max} reached (${live.count} live)` };
    }
  }
  return ALLOW;
}
