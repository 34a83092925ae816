/**
 * Parses `api show registrations as json` (esl-control/api-registrations-two-users):
 * `{"row_count":2,"rows":[{"reg_user","realm","token" (= Call-ID),"url","expires" (epoch s),
 * "network_ip","network_port","network_proto","hostname","metadata"}]}` with rows, and
 * `{"row_count": 0}\n` without. Anything else throws: a reconcile must never take an
 * error reply (`-ERR ...`) for "no registrations".
 */
import { z } from 'zod';
import { parseShowJsonRows } from '../esl/show-json.js';
import { REGISTRATION_GRACE_MS } from './registration-event.js';

const rowSchema = z.looseObject({
  reg_user: z.string().min(1),
  realm: z.string().min(1),
  token: z.string().min(1),
  url: z.string().default(''),
  expires: z.string().regex(/^\d+$/),
  network_ip: z.string().default(''),
  network_port: z.string().default(''),
  network_proto: z.string().default(''),
  hostname: z.string().default(''),
});

export type RegistrationRow = z.infer<typeof rowSchema>;

export function parseShowRegistrations(body: string): RegistrationRow[] {
  return z.array(rowSchema).parse(parseShowJsonRows(body, 'show registrations'));
}

/**
 * sofia's `sip-expires-late-margin` default: a listing's `expires` is the REGISTER time +
 * its Expires + this margin (sofia_reg.c, `switch_core_add_registration`).
 */
const LATE_MARGIN_S = REGISTRATION_GRACE_MS / 1000;

/**
 * The sofia::register-shaped JSON stored for a registration only known from the listing:
 * every column of `show registrations` under the name the event gives the same fact
 * (sofia_reg.c fills both from one REGISTER; recorded side by side in
 * esl-control/api-registrations-two-users and registration-expire-sofia-events):
 *
 * | column | event headers |
 * |---|---|
 * | reg_user (the REGISTER's To user) | username, from-user, to-user, user_name, sip_auth_username |
 * | realm | realm, from-host, to-host, domain_name, sip_auth_realm |
 * | token | call-id |
 * | url `sofia/<profile>/<contact URI>` | profile-name, contact (`<URI>`: the display name is not listed) |
 * | expires (REGISTER time + Expires + 60 s margin, epoch s) | expires = seconds left until the device must refresh, as of `now` (with Event-Date-Timestamp/-GMT = `now`); `expires-at` keeps the listed value |
 * | network_ip, network_port | network-ip, network-port |
 * | network_proto | status `Registered(UDP\|TCP\|TLS)`; absent behind NAT (`fs_nat` in url): sofia's NAT states (UDP-NAT, AUTO-NAT, AUTO-NAT-2.0) cannot be told apart |
 * | hostname | FreeSWITCH-Hostname |
 *
 * Absent, because the listing does not hold them: Core-UUID, FreeSWITCH-Switchname,
 * -IPv4, -IPv6, Event-Date-Local, Event-Calling-*, Event-Sequence, presence-hosts, rpid,
 * user-agent, and the directory user's own headers (sip_number_alias, number_alias, the
 * user's params and variables such as sip-force-contact or effective_caller_id_name);
 * `metadata` has no event header. The auth user is assumed to be the registered user (the
 * usual case; sofia reports a different auth user only in the event). `freecti-source`
 * says the value came from a reconcile of `node`.
 */
export function rowToEventJson(row: RegistrationRow, node: string, now = Date.now()): string {
  const profile = /^sofia\/([^/]+)\//.exec(row.url)?.[1] ?? '';
  const contact = row.url.replace(/^sofia\/[^/]+\//, '');
  const nowS = Math.floor(now / 1000);
  const left = Math.max(0, Number(row.expires) - LATE_MARGIN_S - nowS);
  const proto = row.network_proto.toUpperCase();
  const nat = /;fs_nat=yes/i.test(row.url);
  const event: Record<string, string> = {
    'Event-Subclass': 'sofia::register',
    'Event-Name': 'CUSTOM',
    'FreeSWITCH-Hostname': row.hostname,
    'Event-Date-GMT': new Date(nowS * 1000).toUTCString(),
    'Event-Date-Timestamp': `${nowS}000000`,
    'profile-name': profile,
    'from-user': row.reg_user,
    'from-host': row.realm,
    contact: `<${contact}>`,
    'call-id': row.token,
  };
  if (!nat && ['UDP', 'TCP', 'TLS'].includes(proto)) event['status'] = `Registered(${proto})`;
  Object.assign(event, {
    expires: String(left),
    'to-user': row.reg_user,
    'to-host': row.realm,
    'network-ip': row.network_ip,
    'network-port': row.network_port,
    username: row.reg_user,
    realm: row.realm,
    sip_auth_username: row.reg_user,
    sip_auth_realm: row.realm,
    user_name: row.reg_user,
    domain_name: row.realm,
    'expires-at': row.expires,
    'freecti-source': `reconcile:${node}`,
  });
  return JSON.stringify(event);
}
