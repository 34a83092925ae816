/**
 * Dialing a number through a registered extension's contact (cti_bridge `dial.type`
 * `user` with a `number`, seed 002: a gateway that registers to FreeSWITCH as an
 * extension). FreeSWITCH's api `sofia_contact <profile or *>/<user>@<domain>` gives the live contact
 * of every registration of the user, comma separated, each as
 * `sofia/<profile>/sip:<user>@<host:port>[;params]` (with `;fs_nat=yes`/`fs_path=` behind
 * NAT), or `error/user_not_registered`. The request URI's user is replaced by the
 * number: `sofia/<profile>/sip:<number>@<host:port>[;params]`, so the gateway receives an
 * INVITE for the number at the address it registered from. An `error/...` answer is
 * dialed as is: the bridge then fails with FreeSWITCH's own cause (USER_NOT_REGISTERED).
 * The contact is what the registering device sent: a contact holding characters that mean
 * something to FreeSWITCH's expansion or dial strings (`$ { } | ' " ^ \` and backquote) is
 * refused (BRIDGE_BAD_REPLY), never bridged.
 */
import { FreectiError } from '../errors.js';

const CONTACT = /^(sofia\/[A-Za-z0-9_.-]{1,64}\/)(?:"[^"]*"\s*)?<?(sips?:)([^@<>;,\s]*@)?([^<>,\s${}|'"^\\`]+?)>?$/;
const ERROR = /^error\/[a-z_]{1,64}$/;

/** The `sofia_contact` argument for a user (and optional domain). */
export function contactQuery(user: string, domain: string | undefined): string {
  return domain === undefined || domain === '' ? `*/${user}` : `*/${user}@${domain}`;
}

/**
 * The dial string that reaches `number` through the contacts `sofia_contact` returned.
 * Several contacts (several registrations) stay comma separated, as FreeSWITCH's own
 * `user/` dial string uses them (rung at once).
 */
export function contactDialString(reply: string, number: string): string {
  const text = reply.trim();
  if (ERROR.test(text)) return text;
  const legs = text.split(',').map((contact) => {
    const match = CONTACT.exec(contact.trim());
    if (match === null) throw new FreectiError('BRIDGE_BAD_REPLY', `sofia_contact answered '${text.slice(0, 120)}', not sofia/<profile>/sip:<user>@<host>`);
    const [, endpoint = '', scheme = '', , rest = ''] = match;
    return `${endpoint}${scheme}${number}@${rest}`;
  });
  return legs.join(',');
}
