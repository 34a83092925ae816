/**
 * Parses `api show registrations as json` (esl-control/api-registrations-two-users):
 * `{"row_count":2,"rows":[{"reg_user","realm","token" (= Call-ID),"url","expires" (epoch s),
 * "network_ip","network_port","network_proto","hostname","metadata"}]}` with rows, and
 * `{"row_count": 0}\n` without. Anything else throws: a reconcile must never take an
 * error reply (`-ERR ...`) for "no registrations".
 */
import { z } from 'zod';
import { parseShowJsonRows } from '../esl/show-json.js';

const rowSchema = z.looseObject({
  reg_user: z.string().min(1),
  realm: z.string().min(1),
  token: z.string().min(1),
  url: z.string().default(''),
  expires: z.string().regex(/^\d+$/),
  network_ip: z.string().default(''),
  network_port: z.string().default(''),
  hostname: z.string().default(''),
});

export type RegistrationRow = z.infer<typeof rowSchema>;

export function parseShowRegistrations(body: string): RegistrationRow[] {
  return z.array(rowSchema).parse(parseShowJsonRows(body, 'show registrations'));
}

/** The event-shaped JSON stored for a registration only known from the listing. */
export function rowToEventJson(row: RegistrationRow, node: string): string {
  const profile = /^sofia\/([^/]+)\//.exec(row.url)?.[1] ?? '';
  const contact = row.url.replace(/^sofia\/[^/]+\//, '');
  return JSON.stringify({
    'Event-Subclass': 'sofia::register',
    'Event-Name': 'CUSTOM',
    'FreeSWITCH-Hostname': row.hostname,
    'profile-name': profile,
    'from-user': row.reg_user,
    'from-host': row.realm,
    contact: `<${contact}>`,
    'call-id': row.token,
    'network-ip': row.network_ip,
    'network-port': row.network_port,
    username: row.reg_user,
    realm: row.realm,
    'expires-at': row.expires,
    'freecti-source': `reconcile:${node}`,
  });
}
