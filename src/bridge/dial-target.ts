/**
 * What a validated cti_bridge reply asks for, as a FreeSWITCH `bridge` dial string or a
 * hangup. Every value that ends up in the dial string is checked here:
 * - numbers and users are plain numbers (src/dial-string assertPlainNumber);
 * - gateway, profile and domain names are letters, digits and `_ . @ -`;
 * - `ip` is an IPv4 address, a host name or a bracketed IPv6 address, with an optional port;
 * - `variables` become the `{k=v,...}` block (channel-vars.ts: `,` `'` `\` escaped;
 *   brackets, `${` and control characters refused);
 * - `dialstring` is trusted for its structure (`,` one after another, `|` at once, its
 *   own blocks) but refuses `${`/`$${` expansion, control characters, and endpoints other
 *   than sofia, user, linegroup, group, error, verto, freetdm and loopback (without `app=`).
 */
import { assertPlainNumber } from '../dial-string/index.js';
import { FreectiError, isFreectiError } from '../errors.js';
import { channelValueProblem, formatVarBlock } from '../linegroups/channel-vars.js';
import { parseLinegroupDialString, type LinegroupTarget } from '../linegroups/dial-string.js';
import { causeName, isCauseName, sipCodeToCause, type CauseName } from '../linegroups/hangup-causes.js';
import { leadingBlocksLength, splitTopLevel } from '../originate/scan.js';
import type { BridgeReply } from './reply.js';

export type DialPlan =
  /** Bridge this dial string; `linegroups` when some legs are `linegroup/...` (resolved at bridge time). */
  | { kind: 'dial'; dialString: string; linegroups: boolean }
  /** One `linegroup/<group>/<number>` target: dialed line after line with failover. */
  | { kind: 'linegroup'; target: LinegroupTarget }
  /** Hang up with this cause; with a SIP code the unanswered caller gets exactly that response. */
  | { kind: 'hangup'; cause: CauseName; sipCode?: number };

export interface DialOptions {
  /** Sofia profile of `ip` dials without `sofia` (default `external`). */
  defaultProfile?: string;
}

const NAME = /^[A-Za-z0-9_.@-]{1,128}$/;
const HOST = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*)(?::\d{1,5})?$/;
const ENDPOINTS = new Set(['sofia', 'user', 'linegroup', 'group', 'error', 'verto', 'freetdm', 'loopback']);

function bad(message: string, field: string): never {
  throw new FreectiError('BRIDGE_BAD_REPLY', message, { details: { field } });
}

function name(value: string, field: string): string {
  if (!NAME.test(value)) bad(`${field}: '${value.slice(0, 64)}' is not a valid name (letters, digits, _ . @ -)`, field);
  return value;
}

function number(value: string, field: string): string {
  assertPlainNumber(value, field, 'BRIDGE_BAD_REPLY');
  return value;
}

/** Puts the `{vars}` block in front of a dial string (merged into its own leading `{...}`). */
export function withVariables(block: string, dialString: string): string {
  if (block === '') return dialString;
  if (dialString.startsWith('{')) return `${block.slice(0, -1)},${dialString.slice(1)}`;
  return `${block}${dialString}`;
}

export function planDial(reply: BridgeReply, options: DialOptions = {}): DialPlan {
  const dial = reply.dial;
  if (dial.type === 'hangup') return planHangup(dial.cause, dial.sipcode);
  const vars = formatVarBlock(reply.variables ?? {}, '{', 'BRIDGE_BAD_REPLY');
  switch (dial.type) {
    case 'gateway':
      return { kind: 'dial', dialString: withVariables(vars, `sofia/gateway/${name(dial.gateway, 'dial.gateway')}/${number(dial.number, 'dial.number')}`), linegroups: false };
    case 'user': {
      const user = dial.user ?? dial.number;
      if (user === undefined) bad('dial.user: missing (the registered extension to call)', 'dial.user');
      const domain = dial.domain === undefined ? '' : `@${name(dial.domain, 'dial.domain')}`;
      return { kind: 'dial', dialString: withVariables(vars, `user/${number(user, 'dial.user')}${domain}`), linegroups: false };
    }
    case 'ip': {
      const host = dial.port === undefined ? dial.ip : `${dial.ip}:${dial.port}`;
      const port = Number(/\]?:(\d+)$/.exec(host)?.[1] ?? 0);
      if (!HOST.test(host) || port > 65535) bad(`dial.ip: '${host.slice(0, 64)}' is not an address[:port]`, 'dial.ip');
      const profile = name(dial.sofia ?? options.defaultProfile ?? 'external', 'dial.sofia');
      return { kind: 'dial', dialString: withVariables(vars, `sofia/${profile}/${number(dial.number, 'dial.number')}@${host}`), linegroups: false };
    }
    case 'linegroup':
      return planLinegroup(withVariables(vars, `linegroup/${dial.group}/${number(dial.number, 'dial.number')}`));
    case 'dialstring':
      return planDialString(withVariables(vars, dial.dialstring));
  }
}

function planHangup(cause: string | undefined, sipCode: number | undefined): DialPlan {
  let named: CauseName | undefined;
  if (cause !== undefined) {
    named = /^\d{1,3}$/.test(cause) ? causeName(Number(cause)) : isCauseName(cause) ? cause : undefined;
    if (named === undefined) bad(`dial.cause: '${cause.slice(0, 40)}' is not a cause of the table (Q.850 number or name)`, 'dial.cause');
  }
  if (named === undefined && sipCode === undefined) bad('dial: a hangup needs `cause` or `sipcode`', 'dial.cause');
  const plan: DialPlan = { kind: 'hangup', cause: named ?? sipCodeToCause(sipCode as number) };
  if (sipCode !== undefined) plan.sipCode = sipCode;
  return plan;
}

function planLinegroup(dialString: string): DialPlan {
  try {
    const target = parseLinegroupDialString(dialString);
    if (target === undefined) bad(`'${dialString.slice(0, 120)}' is not a linegroup dial string`, 'dial');
    return { kind: 'linegroup', target };
  } catch (error) {
    if (isFreectiError(error, 'LINEGROUP_DIAL_STRING')) bad(error.message, 'dial');
    throw error;
  }
}

function planDialString(dialString: string): DialPlan {
  // Brackets are the dial string's own structure here; `${` and control characters are not.
  const problem = dialString.includes('${') ? 'contains ${ (variable expansion)' : channelValueProblem(dialString.replace(/[{}[\]]/g, ''));
  if (problem !== undefined) bad(`dial.dialstring ${problem}`, 'dial.dialstring');
  const legs = splitTopLevel(dialString, [',', '|', ':_:']).map((l) => l.text.trim());
  let linegroups = 0;
  for (const leg of legs) {
    let body: string;
    try {
      body = leg.slice(leadingBlocksLength(leg));
    } catch {
      bad(`dial.dialstring: unbalanced block in '${leg.slice(0, 80)}'`, 'dial.dialstring');
    }
    const endpoint = body.split('/', 1)[0] ?? '';
    if (!ENDPOINTS.has(endpoint) || (endpoint === 'loopback' && body.includes('app='))) {
      bad(`dial.dialstring: endpoint '${endpoint.slice(0, 40)}' is not allowed (sofia, user, linegroup, group, error, verto, freetdm, loopback)`, 'dial.dialstring');
    }
    if (endpoint === 'linegroup') linegroups++;
  }
  if (legs.length === 1 && linegroups === 1) return planLinegroup(dialString);
  return { kind: 'dial', dialString, linegroups: linegroups > 0 };
}
