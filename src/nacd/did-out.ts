/**
 * DID-out on every dial path (docs/nacd.md "DID"), one set of rules for nout_did
 * (did-session.ts), noriginate's `nout/` legs (src/originate/translate.ts), cti_bridge /
 * cti_dial (src/bridge/) and the routing replies' `bridge` (src/routing/did-out.ts):
 *
 * - **the route**: a leg that names only a number to dial out (`nout/<extension>/<number>`,
 *   nout_did's dialed number, a cti_bridge `gateway` dial without a gateway) leaves through
 *   the extension's entry: `linegroup/<group>/<number>` (line selection, CPS and
 *   concurrency limits, failover) or `sofia/gateway/<gateway>/<number>`. A leg that names
 *   its own gateway, line group or address keeps it.
 * - **the caller id**: a leg that leaves (a gateway, a line group, an external
 *   `sofia/<profile>/<user>@<host>`) and sets no caller id of its own (`{...}`, `<...>`
 *   or its `[...]`: origination_caller_id_number or effective_caller_id_number) shows the
 *   entry's `callerId` as `origination_caller_id_number` and `origination_caller_id_name`
 *   (the name too, so the extension's internal name is not shown outside). Internal legs
 *   (`user/`, `sofia/<profile>/<user>%<domain>`, loopback...) are left alone.
 *
 * Pure; what it builds is text for the policy to check (the callers run it through
 * FsPolicy.dialString / application before anything reaches FreeSWITCH).
 */
import { isPlainNumber } from '../dial-string/index.js';
import { parseDialString, type DialLeg, type DialString } from '../fs-lang/dial-string.js';
import { withBlockVars, withLeadingVars, type ChannelVar } from '../fs-lang/var-block.js';

/** What the dial paths need of a DID-out entry (did-schema.ts DidOut). */
export interface DidOutRoute {
  callerId: string;
  linegroup?: string | undefined;
  gateway?: string | undefined;
}

/** The DID-out entry of an extension (or group) number, or null when it has none. */
export type DidOutLookup = (extension: string) => Promise<DidOutRoute | null>;

/** Variables that set the caller id a leg shows: a dial string or reply holding one keeps its own. */
export const CALLER_ID_VARIABLES: ReadonlySet<string> = new Set(['origination_caller_id_number', 'effective_caller_id_number']);

/** True when one of `vars` sets the caller id (CALLER_ID_VARIABLES, any letter case). */
export function setsCallerId(vars: readonly Pick<ChannelVar, 'name'>[]): boolean {
  return vars.some((v) => CALLER_ID_VARIABLES.has(v.name.toLowerCase()));
}

/** The endpoint an entry dials `number` through: its line group, else its gateway. */
export function didOutTarget(entry: DidOutRoute, number: string): string {
  return entry.linegroup !== undefined ? `linegroup/${entry.linegroup}/${number}` : `sofia/gateway/${entry.gateway ?? ''}/${number}`;
}

/** The `name=value` items that show `callerId` outside (a DID-out entry's plain number, checked here). */
export function didOutCallerIdItems(callerId: string): string[] {
  if (!isPlainNumber(callerId)) throw new TypeError(`DID-out callerId '${String(callerId).slice(0, 40)}' is not a plain number`);
  return [`origination_caller_id_number=${callerId}`, `origination_caller_id_name=${callerId}`];
}

/** True when a leg leaves the switch: a gateway, a line group, a `nout/` leg or an external sofia address. */
export function leavesOut(leg: DialLeg): boolean {
  const { endpoint } = leg;
  return endpoint.kind === 'gateway' || endpoint.kind === 'linegroup' || endpoint.kind === 'nout' || (endpoint.kind === 'sofia' && endpoint.external);
}

/**
 * `body` with the leg's own `[...]` blocks as one block, `items` after them (no blocks and
 * no items: `body` alone). A block with its own separator (`[^^:a=1:b=2]`) is not joined
 * with ',': the items go into it with its separator (withBlockVars; FsSyntaxError when an
 * item holds it), the leg's other blocks kept as written before it.
 */
function legWithItems(legBlocks: readonly string[], items: readonly string[], body: string): string {
  if (items.length === 0 && legBlocks.length === 0) return body;
  if (!legBlocks.some((b) => b.trim().startsWith('^^'))) return `[${[...legBlocks, ...items].join(',')}]${body}`;
  const earlier = legBlocks.slice(0, -1).map((b) => `[${b}]`).join('');
  return `${earlier}[${withBlockVars(legBlocks.at(-1) ?? '', items)}]${body}`;
}

/** A leg's text with `items` added to its own `[...]` block. */
function withLegItems(leg: DialLeg, items: readonly string[]): string {
  return legWithItems(leg.legBlocks, items, leg.body);
}

/** Replaces legs of `text` (in order), each by what `map` returns for it (undefined: kept). */
function replaceLegs(text: string, parsed: DialString, map: (leg: DialLeg) => string | undefined): string {
  let out = text;
  for (const leg of [...parsed.legs].reverse()) {
    const replaced = map(leg);
    if (replaced !== undefined) out = out.slice(0, leg.start) + replaced + out.slice(leg.start + leg.text.length);
  }
  return out;
}

/**
 * A `nout/<extension>/<number>` leg as the leg it stands for, `entry` being the
 * extension's: the entry's route, with its caller id unless the leg sets its own (or,
 * `ownCallerId`, the dial string's `{...}` / `<...>` does).
 */
export function didOutLeg(leg: DialLeg, entry: DidOutRoute, ownCallerId = false): string {
  if (leg.endpoint.kind !== 'nout') return leg.text;
  const items = ownCallerId || setsCallerId(leg.vars) ? [] : didOutCallerIdItems(entry.callerId);
  const body = didOutTarget(entry, leg.endpoint.number);
  return legWithItems(leg.legBlocks, items, body);
}

/** The extensions named by the `nout/` legs of a dial string (in order, once each). */
export function noutExtensions(parsed: DialString): string[] {
  return [...new Set(parsed.legs.flatMap((leg) => (leg.endpoint.kind === 'nout' ? [leg.endpoint.extension] : [])))];
}

/** Replaces every `nout/` leg of a dial string by its entry's route (`entries`: extension -> entry). */
export function withNoutRoutes(text: string, entries: ReadonlyMap<string, DidOutRoute>): string {
  const parsed = parseDialString(text);
  const own = setsCallerId(parsed.vars);
  return replaceLegs(text, parsed, (leg) => {
    if (leg.endpoint.kind !== 'nout') return undefined;
    const entry = entries.get(leg.endpoint.extension);
    if (entry === undefined) throw new TypeError(`no DID-out entry given for nout/${leg.endpoint.extension}`);
    return didOutLeg(leg, entry, own);
  });
}

/**
 * The DID-out caller id on the legs of a dial string that leave without a caller id of
 * their own; the text unchanged when no leg qualifies or the whole string sets one
 * (`{...}` / `<...>`). One leg: a leading `{...}` block (withLeadingVars); several legs
 * (some may be internal): each qualifying leg's own `[...]` block (so `user/` legs rung
 * with it keep the caller's id). Throws FsSyntaxError
 * on a dial string the parser refuses.
 */
export function withDidOutCallerId(text: string, callerId: string): string {
  const parsed = parseDialString(text);
  if (setsCallerId(parsed.vars)) return text;
  const qualifies = (leg: DialLeg): boolean => leavesOut(leg) && !setsCallerId(leg.vars);
  if (!parsed.legs.some(qualifies)) return text;
  const items = didOutCallerIdItems(callerId);
  const [only, ...others] = parsed.legs;
  // withLeadingVars joins with ',': a block with its own `^^` separator, or an `<...>` head, takes the leg block instead.
  if (only !== undefined && others.length === 0 && !parsed.head.startsWith('<') && !parsed.head.includes('^^')) return withLeadingVars(items, text);
  return replaceLegs(text, parsed, (leg) => (qualifies(leg) ? withLegItems(leg, items) : undefined));
}

/** The endpoints a leaving leg may name, in any letter case (FreeSWITCH and the parser read them so). */
const LEAVING_ENDPOINT = /sofia\/|linegroup\/|nout\//i;

/** True when a dial string has a leg that would take the DID-out caller id (cheap text test first). */
export function mayTakeDidOut(text: string): boolean {
  if (!LEAVING_ENDPOINT.test(text)) return false;
  try {
    const parsed = parseDialString(text);
    return !setsCallerId(parsed.vars) && parsed.legs.some((leg) => leavesOut(leg) && !setsCallerId(leg.vars));
  } catch {
    return false;
  }
}
