/**
 * What a validated cti_bridge reply asks for, as a FreeSWITCH `bridge` dial string or a
 * hangup. Every value that ends up in the dial string is checked here:
 * - numbers and users are plain numbers (src/dial-string assertPlainNumber);
 * - gateway, profile and domain names are letters, digits and `_ . @ -`;
 * - `ip` is an IPv4 address, a host name or a bracketed IPv6 address, with an optional port;
 * - `variables` pass the one policy (src/fs-lang/policy.ts: literal names, hook
 *   variables only with allowed applications, allowed expansions only) and become the
 *   `{k=v,...}` block (channel-vars.ts: `,` `'` `\` escaped; brackets refused);
 * - `dialstring` is parsed by the one dial-string parser and checked by the policy
 *   (known endpoints with literal bodies, `loopback/app=` refused, variables as above).
 */
import { assertPlainNumber } from '../dial-string/index.js';
import { FreectiError, isFreectiError } from '../errors.js';
import { formatVarBlock } from '../linegroups/channel-vars.js';
import { parseLinegroupDialString, type LinegroupTarget } from '../linegroups/dial-string.js';
import { causeName, isCauseName, sipCodeToCause, type CauseName } from '../linegroups/hangup-causes.js';
import { FsPolicy, PolicyRefusal, type Scope } from '../fs-lang/policy.js';
import { NUMBER, parseDialString } from '../fs-lang/dial-string.js';
import { mayTakeDidOut, noutExtensions, withDidOutCallerId, withNoutRoutes, type DidOutRoute } from '../nacd/did-out.js';
import type { BridgeReply } from './reply.js';

export type DialPlan =
  /** Bridge this dial string; `linegroups` when some legs are `linegroup/...` (resolved at bridge time). */
  | { kind: 'dial'; dialString: string; linegroups: boolean }
  /**
   * `user` with a different `number`: a gateway registered as extension `user`; dial
   * `number` at that registration's contact (`sofia_contact`, resolved at bridge time:
   * contact.ts). `vars` is the `{...}` block (or '').
   */
  | { kind: 'contact'; user: string; domain?: string; number: string; vars: string }
  /** One `linegroup/<group>/<number>` target: dialed line after line with failover. */
  | { kind: 'linegroup'; target: LinegroupTarget }
  /** Hang up with this cause; with a SIP code the unanswered caller gets exactly that response. */
  | { kind: 'hangup'; cause: CauseName; sipCode?: number };

export interface DialOptions {
  /** Sofia profile of `ip` dials without `sofia` (default `external`). */
  defaultProfile?: string;
  /** The allow-list policy (default: config defaults). */
  policy?: FsPolicy;
  /**
   * The calling extension (the A leg's caller id number, as nout_did reads it): a `gateway`
   * dial without a gateway leaves through its DID-out route (`nout/<caller>/<number>`).
   */
  caller?: string;
}

const DEFAULT_POLICY = new FsPolicy();
/**
 * cti_bridge exists to dial out: its replies may reach gateways and line groups, and
 * `nout/<extension>/<number>` legs (the extension's DID-out route, resolved by runBridge
 * before anything is dialled: withNoutRoutesPlan).
 */
const BRIDGE_SCOPE: Scope = { outbound: true, nout: true };

/** Runs a policy check; a refusal becomes BRIDGE_BAD_REPLY naming `field`. */
function checked<T>(field: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof PolicyRefusal) bad(error.message, field);
    throw error;
  }
}

const NAME = /^[A-Za-z0-9_.@-]{1,128}$/;
const HOST = /^(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*)(?::\d{1,5})?$/;

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
  const policy = options.policy ?? DEFAULT_POLICY;
  for (const [name, value] of Object.entries(reply.variables ?? {})) {
    checked(`variables.${name}`, () => policy.variable({ name, value, nolocal: false }, BRIDGE_SCOPE, `variables.${name}`));
  }
  const vars = formatVarBlock(reply.variables ?? {}, '{', 'BRIDGE_BAD_REPLY');
  switch (dial.type) {
    case 'gateway': {
      if (dial.gateway === undefined || dial.gateway === '') {
        // No gateway named: the calling extension's DID-out route, as nout_did dials (src/nacd/did-out.ts).
        const caller = options.caller ?? '';
        if (!NUMBER.test(caller)) bad(`dial.gateway: missing, and the calling number '${caller.slice(0, 40)}' cannot name a DID-out entry`, 'dial.gateway');
        return planDialString(withVariables(vars, `nout/${caller}/${number(dial.number, 'dial.number')}`), policy);
      }
      return { kind: 'dial', dialString: withVariables(vars, `sofia/gateway/${name(dial.gateway, 'dial.gateway')}/${number(dial.number, 'dial.number')}`), linegroups: false };
    }
    case 'user': {
      const user = dial.user ?? dial.number;
      if (user === undefined) bad('dial.user: missing (the registered extension to call)', 'dial.user');
      const domain = dial.domain === undefined ? '' : `@${name(dial.domain, 'dial.domain')}`;
      if (dial.user !== undefined && dial.number !== undefined && dial.number !== dial.user) {
        const plan: DialPlan = { kind: 'contact', user: number(dial.user, 'dial.user'), number: number(dial.number, 'dial.number'), vars };
        if (dial.domain !== undefined) plan.domain = name(dial.domain, 'dial.domain');
        return plan;
      }
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
      return planDialString(withVariables(vars, dial.dialstring), policy);
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

function planDialString(dialString: string, policy: FsPolicy): DialPlan {
  const parsed = checked('dial.dialstring', () => policy.dialString(dialString, BRIDGE_SCOPE, 'dial.dialstring'));
  const linegroups = parsed.legs.filter((leg) => leg.endpoint.kind === 'linegroup').length;
  if (parsed.legs.length === 1 && linegroups === 1) return planLinegroup(dialString);
  return { kind: 'dial', dialString, linegroups: linegroups > 0 };
}

/** The extensions whose DID-out entries the `nout/` legs of a plan need (none for other plans). */
export function noutExtensionsOf(plan: DialPlan): string[] {
  return plan.kind === 'dial' ? noutExtensions(parseDialString(plan.dialString)) : [];
}

/**
 * A plan with its `nout/` legs replaced by their entries' routes (src/nacd/did-out.ts:
 * line group or gateway, with the entry's caller id), planned again: the result passes
 * the policy, and one line-group leg is dialled line after line with failover.
 */
export function withNoutRoutesPlan(plan: DialPlan, entries: ReadonlyMap<string, DidOutRoute>, options: DialOptions = {}): DialPlan {
  if (plan.kind !== 'dial') return plan;
  return planDialString(withNoutRoutes(plan.dialString, entries), options.policy ?? DEFAULT_POLICY);
}

/** The dial string a line-group plan stands for. */
function linegroupText(target: LinegroupTarget): string {
  return `${target.head}${target.legVars === '' ? '' : `[${target.legVars}]`}linegroup/${target.group}/${target.number}`;
}

/** True when a plan has a leg that would show the DID-out caller id (withDidOutPlan would change it). */
export function takesDidOut(plan: DialPlan): boolean {
  if (plan.kind === 'linegroup') return mayTakeDidOut(linegroupText(plan.target));
  return plan.kind === 'dial' && mayTakeDidOut(plan.dialString);
}

/**
 * The DID-out caller id of the calling extension (docs/nacd.md "DID") on the legs of a
 * plan that leave (a gateway, an external sofia address, a line group) without a caller id
 * of their own (src/nacd/did-out.ts withDidOutCallerId), planned again so the policy checks
 * the result; other plans are returned unchanged. `callerId` is a DID-out entry's plain number.
 */
export function withDidOutPlan(plan: DialPlan, callerId: string, options: DialOptions = {}): DialPlan {
  if (plan.kind === 'linegroup') {
    const text = linegroupText(plan.target);
    const added = withDidOutCallerId(text, callerId);
    return added === text ? plan : planLinegroup(added);
  }
  if (plan.kind !== 'dial') return plan;
  const added = withDidOutCallerId(plan.dialString, callerId);
  return added === plan.dialString ? plan : planDialString(added, options.policy ?? DEFAULT_POLICY);
}
