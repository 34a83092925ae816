/**
 * Every ESL command the ACD's call half sends, built here and checked by the one
 * allow-list policy (src/fs-lang/policy.ts) before it leaves: the ACD may run only the
 * commands in ACD_COMMANDS, and each one's arguments are parsed like any other origin's.
 *
 * The agent leg's uuid is derived from the offer id (agentLegUuid), so any instance can
 * kill the leg of an offer it did not originate (a cancel that lands on another instance).
 */
import { createHash } from 'node:crypto';
import type { FsPolicy, Scope } from '../../fs-lang/policy.js';
import { withLeadingVars } from '../../fs-lang/var-block.js';
import type { AgentContact, Offer } from '../types.js';

/** The api commands the ACD sends (nothing else passes its scope). */
export const ACD_COMMANDS: ReadonlySet<string> = new Set(['originate', 'uuid_bridge', 'uuid_kill', 'uuid_break', 'uuid_record', 'uuid_transfer', 'uuid_getvar', 'show']);

export const ACD_SCOPE: Scope = { outbound: true, command: (name) => ACD_COMMANDS.has(name) };

/** The uuid the agent leg of an offer gets (`origination_uuid`): a v4-shaped digest of the offer id. */
export function agentLegUuid(offerId: string): string {
  const h = createHash('sha256').update(`freecti-acd-leg:${offerId}`).digest('hex');
  const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Caller id number as FreeSWITCH may show it: digits, `+`, `*`, `#`; anything else is dropped. */
export function cleanCallerNumber(value: string): string {
  const clean = value.replace(/[^0-9+*#]/g, '').slice(0, 32);
  return clean === '' ? 'unknown' : clean;
}

/** Caller id name: letters, digits, space and `._@+-` (quoted in the originate block); the rest is dropped. */
export function cleanCallerName(value: string): string {
  const clean = value.replace(/[^\p{L}\p{N} ._@+-]/gu, '').trim().slice(0, 64);
  return clean === '' ? 'unknown' : clean;
}

/** The dial string of an agent contact that needs no line group (`user/<ext>[@<domain>]` or a dial string). */
export function contactDialString(contact: Offer['contact']): string | undefined {
  if (contact.type === 'extension') return `user/${contact.extension}${contact.domain === undefined ? '' : `@${contact.domain}`}`;
  if (contact.type === 'dial') return contact.dialString;
  return undefined;
}

/** Seconds an answered agent leg waits in `park` for its uuid_bridge before FreeSWITCH hangs it up (`park_timeout`). */
export const AGENT_PARK_TIMEOUT_SEC = 20;

/**
 * `originate {vars}<dial string> &park()` for an offer: the caller's caller id, the offer
 * timeout, the derived leg uuid, and variables naming the offer (read back by the reaper
 * and in logs). Policy-checked; throws PolicyRefusal.
 */
export function originateArgs(policy: FsPolicy, offer: Offer, dialString: string): string {
  const vars = [
    `origination_uuid=${agentLegUuid(offer.offerId)}`,
    `origination_caller_id_number=${cleanCallerNumber(offer.callerIdNumber)}`,
    `origination_caller_id_name='${cleanCallerName(offer.callerIdName)}'`,
    `originate_timeout=${Math.max(1, Math.round(offer.timeoutSec))}`,
    'ignore_early_media=true',
    // A callback's agent waits parked while the customer rings: the park outlasts that ring.
    `park_timeout=${AGENT_PARK_TIMEOUT_SEC + (offer.callback?.ringSec ?? 0)}`,
    `freecti_acd_offer=${offer.offerId}`,
    `freecti_acd_queue=${offer.queue}`,
    `freecti_acd_agent=${offer.agent}`,
    `freecti_acd_caller=${offer.callUuid}`,
  ];
  return parkOriginate(policy, vars, dialString);
}

/** The contact a callback's customer is dialled through (queue setting `callback.via`); the number is checked by the caller. */
export function callbackContact(callback: NonNullable<Offer['callback']>): AgentContact {
  const { via, number } = callback;
  if (!/^[0-9*#+]{1,32}$/.test(number)) throw new Error(`callback number '${number.slice(0, 40)}': digits, * # + only`);
  if (via.type === 'gateway') return { type: 'dial', dialString: `sofia/gateway/${via.gateway}/${number}` };
  if (via.type === 'linegroup') return { type: 'linegroup', group: via.group, number };
  return { type: 'extension', extension: number, ...(via.domain === undefined ? {} : { domain: via.domain }) };
}

/**
 * `originate {vars}<dial string> &park()` for the customer leg of a callback, once its agent
 * answered: the leg uuid is the offer's callUuid (the entry answers to it), the ring time is
 * `callback.ringSec`, and the customer sees the caller id the dial string or line gives.
 * Policy-checked; throws PolicyRefusal.
 */
export function customerOriginateArgs(policy: FsPolicy, offer: Offer, dialString: string): string {
  const callback = offer.callback;
  if (callback === undefined) throw new Error(`offer ${offer.offerId} is not a callback`);
  const vars = [
    `origination_uuid=${offer.callUuid}`,
    `originate_timeout=${Math.max(1, Math.round(callback.ringSec))}`,
    'ignore_early_media=true',
    `park_timeout=${AGENT_PARK_TIMEOUT_SEC}`,
    `freecti_acd_offer=${offer.offerId}`,
    `freecti_acd_queue=${offer.queue}`,
    `freecti_acd_agent=${offer.agent}`,
    `freecti_acd_callback=${callback.attempt}`,
  ];
  return parkOriginate(policy, vars, dialString);
}

/** One checked `uuid_*` / `show` command: returns the argument text. */
export function checked(policy: FsPolicy, command: string, args: string): string {
  policy.command(command, args, ACD_SCOPE);
  return args;
}

/**
 * A queue's recording path template filled in: `{queue}`, `{uuid}` (the caller), `{agent}`,
 * `{date}` (YYYY-MM-DD) and `{time}` (HHMMSS, UTC). The result must be under
 * security.recordDirs (checked by the caller through the policy).
 */
export function recordPath(template: string, offer: Pick<Offer, 'queue' | 'callUuid' | 'agent'>, now: Date): string {
  const iso = now.toISOString();
  const values: Record<string, string> = {
    queue: offer.queue,
    uuid: offer.callUuid,
    agent: offer.agent,
    date: iso.slice(0, 10),
    time: iso.slice(11, 19).replace(/:/g, ''),
  };
  return template.replace(/\{(queue|uuid|agent|date|time)\}/g, (_m, name: string) => (values[name] ?? '').replace(/[^A-Za-z0-9_.@+-]/g, '_'));
}

/** The FreeSWITCH cause of an `-ERR <CAUSE>` reply, or undefined. */
export function errCause(reply: string): string | undefined {
  const match = /^-ERR ([A-Z_]+)\s*$/.exec(reply.trim());
  return match?.[1];
}

/** `{vars}<dial string> &park()` (withLeadingVars), policy-checked (throws PolicyRefusal). */
function parkOriginate(policy: FsPolicy, vars: string[], dialString: string): string {
  const args = `${withLeadingVars(vars, dialString)} &park()`;
  policy.command('originate', args, ACD_SCOPE);
  return args;
}
