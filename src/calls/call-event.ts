/**
 * What a channel event means for an extension's call state. Pure: no Redis.
 *
 * From the recordings (esl-events/*-register-call-answered-*, *-call-rejected-486-busy,
 * *-call-to-unregistered-user):
 * - the leg a registered phone places is `Call-Direction: inbound` and carries the
 *   authenticated `variable_user_name` / `variable_domain_name`: a `callout` of that
 *   extension;
 * - the leg FreeSWITCH places to a phone through `user/<ext>` is `Call-Direction:
 *   outbound` with `variable_dialed_user` / `variable_dialed_domain`: a `callin`;
 * - other legs (loopback, trunks, no user) belong to no extension and are ignored.
 * CHANNEL_CREATE → callin/callout, CHANNEL_ANSWER → answer, CHANNEL_HANGUP_COMPLETE → hangup.
 */
import type { EslEvent } from '../esl/event.js';

export type Notify = 'callin' | 'callout' | 'answer' | 'hangup';

export interface CallChange {
  uuid: string;
  extension: string;
  domain: string;
  notify: Notify;
  /** The configured fields (gui.call.fields), '' when the event lacks one. */
  fields: Record<string, string>;
}

export function callOwner(event: EslEvent): { extension: string; domain: string; direction: 'callin' | 'callout' } | undefined {
  const direction = event.get('Call-Direction');
  if (direction === 'inbound') {
    const user = event.variable('user_name');
    if (user) return { extension: user, domain: event.variable('domain_name') ?? event.variable('sip_auth_realm') ?? '', direction: 'callout' };
  } else if (direction === 'outbound') {
    const user = event.variable('dialed_user');
    if (user) return { extension: user, domain: event.variable('dialed_domain') ?? '', direction: 'callin' };
  }
  return undefined;
}

export function callChange(event: EslEvent, fieldNames: readonly string[]): CallChange | undefined {
  let kind: 'create' | 'answer' | 'hangup';
  switch (event.name) {
    case 'CHANNEL_CREATE':
      kind = 'create';
      break;
    case 'CHANNEL_ANSWER':
      kind = 'answer';
      break;
    case 'CHANNEL_HANGUP_COMPLETE':
      kind = 'hangup';
      break;
    default:
      return undefined;
  }
  const uuid = event.uuid;
  const owner = callOwner(event);
  if (!uuid || owner === undefined) return undefined;
  const fields: Record<string, string> = {};
  for (const name of fieldNames) fields[name] = event.get(name) ?? '';
  const notify: Notify = kind === 'create' ? owner.direction : kind;
  return { uuid, extension: owner.extension, domain: owner.domain, notify, fields };
}
