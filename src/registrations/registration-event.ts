/**
 * What a sofia registration event means for the registration state. Pure: no Redis.
 *
 * From the recordings (esl-control/registration-expire-sofia-events, esl-events/*):
 * - `sofia::register`: `username`, `realm`, `domain_name`, `call-id`, `expires` = seconds;
 * - `sofia::unregister`: same names, `expires: 0`;
 * - `sofia::expire`: `username`, `user`, `host`, `realm`, `call-id`, and `expires` = the
 *   absolute deadline in epoch seconds (not a duration). No unregister is sent for it.
 * FreeSWITCH keeps a registration for Expires + 60 s (EXPSECS in the listings), so a
 * contact is counted as live until then even if no event removes it.
 *
 * Identity of a device (what an unregister/expire is matched on, docs/redis-keys.md):
 * - the Call-ID: `call-id` of the events = `token` of `show registrations as json`
 *   (api-registrations-two-users vs registration-expire-sofia-events: reg-1005@127.0.0.1
 *   in both). A device may unREGISTER with a new Call-ID (recorded: 1000 registers with
 *   1-30547@127.0.0.1 and unregisters with 1-30552@127.0.0.1), so the Call-ID alone is not
 *   enough;
 * - the contact URI, normalized: the events carry the Contact header (`"" <sip:1005@127.0.0.1:5075>`),
 *   the listing its URI behind the profile (`sofia/internal/sip:1005@127.0.0.1:5075`), and
 *   FreeSWITCH appends its own parameters behind NAT (`;fs_nat=yes;fs_path=...`). Both are
 *   reduced to `user@host:port` (display name, angle brackets, scheme and every parameter
 *   dropped, host lower-cased) by `contactUri`;
 * - the network address (`network-ip`:`network-port` of the events = `network_ip`:`network_port`
 *   of the listing), the socket FreeSWITCH saw the REGISTER on.
 */
import type { EslEvent } from '../esl/event.js';

export const REGISTRATION_GRACE_MS = 60_000;

export type FieldMode = 'extension' | 'extension@domain';

export interface RegistrationChange {
  kind: 'register' | 'unregister' | 'expire';
  extension: string;
  domain: string;
  callId: string;
  /** The `contact` header of the event ('' when absent). */
  contact: string;
  /** The contact normalized by `contactUri` ('' when absent). */
  contactUri: string;
  /** `network-ip:network-port` ('' when either is absent). */
  network: string;
  /** Every domain the event names (domain_name, realm, host, from-host, to-host), to match a contact stored with any of them. */
  domains: string[];
  /** When FreeSWITCH drops the contact unless it is refreshed (ms since epoch); 0 for removals. */
  expiresAt: number;
  /** The event as JSON: the seed's value of the `registrations` field. */
  json: string;
}

const KINDS: Record<string, RegistrationChange['kind']> = {
  'sofia::register': 'register',
  'sofia::unregister': 'unregister',
  'sofia::expire': 'expire',
};

export function registrationChange(event: EslEvent): RegistrationChange | undefined {
  if (event.name !== 'CUSTOM') return undefined;
  const kind = KINDS[event.subclass ?? ''];
  if (kind === undefined) return undefined;
  const extension = event.get('username') ?? event.get('user') ?? event.get('from-user');
  const domain = event.get('domain_name') ?? event.get('realm') ?? event.get('host') ?? event.get('from-host');
  const callId = event.get('call-id');
  if (!extension || !domain || !callId) return undefined;
  let expiresAt = 0;
  if (kind === 'register') {
    const seconds = Number(event.get('expires') ?? '0');
    const atMicros = Number(event.get('Event-Date-Timestamp') ?? '0');
    const base = Number.isFinite(atMicros) && atMicros > 0 ? Math.floor(atMicros / 1000) : Date.now();
    expiresAt = base + (Number.isFinite(seconds) ? seconds : 0) * 1000 + REGISTRATION_GRACE_MS;
  }
  const contact = event.get('contact') ?? '';
  const domains = [...new Set([domain, ...['domain_name', 'realm', 'host', 'from-host', 'to-host'].map((h) => event.get(h) ?? '')].filter((d) => d !== ''))];
  return {
    kind, extension, domain, callId, contact, contactUri: contactUri(contact), network: networkAddress(event.get('network-ip'), event.get('network-port')),
    domains, expiresAt, json: JSON.stringify(event.toJSON()),
  };
}

/**
 * `user@host:port` of a Contact header or a listing URL, '' when there is none; `*` stays `*`.
 * `"Bob" <sip:1005@10.0.0.5:5060;transport=udp;fs_nat=yes>`, `<sip:1005@10.0.0.5:5060>`,
 * `sofia/internal/sip:1005@10.0.0.5:5060;fs_nat=yes` and `sip:1005@10.0.0.5:5060` are all
 * `1005@10.0.0.5:5060`. The user part keeps its case (SIP users are case-sensitive), the host
 * is lower-cased.
 */
export function contactUri(raw: string): string {
  let s = raw.trim();
  if (s === '*') return '*';
  s = s.replace(/^sofia\/[^/]+\//, '');
  // A quoted display name may contain anything, even '<' or 'sip:'.
  s = s.replace(/^"(?:[^"\\]|\\.)*"\s*/, '');
  const open = s.indexOf('<');
  if (open >= 0) s = s.slice(open + 1);
  s = s.replace(/^\s*sips?:/i, '');
  s = s.split(/[;>?\s]/, 1)[0] ?? '';
  const at = s.lastIndexOf('@');
  return at < 0 ? s.toLowerCase() : `${s.slice(0, at)}@${s.slice(at + 1).toLowerCase()}`;
}

/** `ip:port`, '' when either part is missing. */
export function networkAddress(ip: string | undefined, port: string | undefined): string {
  return ip && port ? `${ip.toLowerCase()}:${port}` : '';
}

/** The hash field of an extension: the seed's bare extension, or `<ext>@<domain>`. */
export function stateField(mode: FieldMode, extension: string, domain: string): string {
  return mode === 'extension' ? extension : `${extension}@${domain}`;
}
