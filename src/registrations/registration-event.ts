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
  return { kind, extension, domain, callId, contact: event.get('contact') ?? '', expiresAt, json: JSON.stringify(event.toJSON()) };
}

/** The hash field of an extension: the seed's bare extension, or `<ext>@<domain>`. */
export function stateField(mode: FieldMode, extension: string, domain: string): string {
  return mode === 'extension' ? extension : `${extension}@${domain}`;
}
