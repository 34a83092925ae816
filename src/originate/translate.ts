/**
 * cti_originate → FreeSWITCH originate: every `linegroup/<group>/<number>` leg (of the
 * called URL, and of a `bridge` app or inline `bridge:`) is replaced by the line the
 * resolver picked; everything else is passed on unchanged. The text is read by the one
 * originate and dial-string parser (src/fs-lang/); the policy has checked it before.
 *
 * The resolver is a seam: production uses src/linegroups/ (LinegroupResolver); a
 * deployment without line groups gets BAD_REQUEST naming the dial string.
 */
import { FreectiError } from '../errors.js';
import type { LinegroupResolver } from '../linegroups/resolver.js';
import { didOutLeg, setsCallerId, type DidOutLookup } from '../nacd/did-out.js';
import { parseDialString, type DialLeg } from '../fs-lang/dial-string.js';
import { formatTarget, parseOriginate, parseTarget, type InlineApp, type Originate, type OriginateTarget } from '../fs-lang/originate.js';
import { splitWords } from '../fs-lang/scan.js';
import { FsSyntaxError } from '../fs-lang/scan.js';

export interface ResolvedLinegroup {
  dialString: string;
  /** Gives the line back when the call could not start (optional). */
  release?: (cause: string) => Promise<void>;
}

/** Turns `[..]linegroup/<group>/<number>` (one leg) into a real dial string. */
export type LinegroupDialer = (dialString: string) => Promise<ResolvedLinegroup>;

export const noLinegroups: LinegroupDialer = async (dialString) => {
  throw new FreectiError('BAD_REQUEST', `'${dialString.slice(0, 120)}': line groups are not configured on this instance`);
};

/** The service's dialer: a line of the group picked and held by the resolver (src/linegroups/resolver.ts). */
export function resolverDialer(resolver: Pick<LinegroupResolver, 'resolveLinegroupDialString' | 'release'>): LinegroupDialer {
  return async (dialString) => {
    const { dialString: resolved, lease } = await resolver.resolveLinegroupDialString(dialString);
    return { dialString: resolved, release: async (cause) => void (await resolver.release(lease, { cause })) };
  };
}

/**
 * noriginate's `nout/<extension>/<number>` leg: the extension's DID-out entry (null: none),
 * the caller id shown outside and the line group or gateway the call leaves through.
 */
export type NoutLookup = DidOutLookup;

export interface TranslatedOriginate {
  parsed: Originate;
  /** The `originate` arguments to send. */
  args: string;
  /** Releases every line taken (call when originate failed). */
  releaseAll(cause: string): Promise<void>;
}

/**
 * A `nout/<extension>/<number>` leg as the leg it stands for (src/nacd/did-out.ts
 * didOutLeg: the entry's route, its caller id unless the leg sets its own).
 */
async function noutLeg(leg: DialLeg, nout: NoutLookup | undefined, ownCallerId: boolean): Promise<{ text: string; linegroup: boolean }> {
  if (leg.endpoint.kind !== 'nout') return { text: leg.text, linegroup: true };
  const { extension } = leg.endpoint;
  if (nout === undefined) throw new FreectiError('BAD_REQUEST', `'${leg.body.slice(0, 80)}': nout/ legs are for noriginate`);
  const entry = await nout(extension);
  if (entry === null) throw new FreectiError('BAD_REQUEST', `'${leg.body.slice(0, 80)}': extension '${extension}' has no DID-out entry (/api/v1/nacd/did/out)`);
  return { text: didOutLeg(leg, entry, ownCallerId), linegroup: entry.linegroup !== undefined };
}

/** Replaces each linegroup (and, for noriginate, nout) leg of a dial string (legs resolved in order, text kept around them). */
export async function mapLegs(text: string, dial: LinegroupDialer, taken: ResolvedLinegroup[], nout?: NoutLookup): Promise<string> {
  const parsed = parseDialString(text);
  // A caller id of the whole dial string ({...}, <...>) is the nout/ legs' own too.
  const ownCallerId = setsCallerId(parsed.vars);
  const legs = parsed.legs.filter((leg) => leg.endpoint.kind === 'linegroup' || leg.endpoint.kind === 'nout');
  const resolved: { start: number; end: number; dialString: string }[] = [];
  for (const leg of legs) {
    const mapped = await noutLeg(leg, nout, ownCallerId);
    if (!mapped.linegroup) {
      resolved.push({ start: leg.start, end: leg.start + leg.text.length, dialString: mapped.text });
      continue;
    }
    const line = await dial(mapped.text);
    taken.push(line);
    resolved.push({ start: leg.start, end: leg.start + leg.text.length, dialString: line.dialString });
  }
  let out = text;
  for (const r of resolved.reverse()) out = out.slice(0, r.start) + r.dialString + out.slice(r.end);
  return out;
}

/** The words after the target, as written. */
function rawExtra(input: string): string[] {
  return splitWords(input).slice(2).map((w) => w.text);
}

/**
 * cti_originate (or, with `nout`, noriginate: `nout/<extension>/<number>` legs dial out with
 * the extension's DID-out caller id through its line group or gateway) → originate.
 */
export async function translateCtiOriginate(input: string, dial: LinegroupDialer, nout?: NoutLookup): Promise<TranslatedOriginate> {
  const name = nout === undefined ? 'cti_originate' : 'noriginate';
  let parsed: Originate;
  try {
    parsed = parseOriginate(input);
  } catch (error) {
    if (error instanceof FsSyntaxError) throw new FreectiError('BAD_REQUEST', `${name}: ${error.message}`);
    throw error;
  }
  const taken: ResolvedLinegroup[] = [];
  const releaseAll = async (cause: string): Promise<void> => {
    await Promise.allSettled(taken.map((t) => t.release?.(cause)));
  };
  try {
    const url = await mapLegs(parsed.url, dial, taken, nout);
    // The target as written (quotes kept): only its bridge legs are replaced.
    const written = parseTarget(parsed.targetText, parsed.extra[0]);
    let target: OriginateTarget = written;
    if (written.kind === 'app' && written.name.toLowerCase() === 'bridge') {
      target = { ...written, args: await mapLegs(written.args, dial, taken, nout) };
    } else if (written.kind === 'inline') {
      const apps: InlineApp[] = [];
      for (const app of written.apps) {
        const bridge = app.name.toLowerCase() === 'bridge' && app.args !== undefined;
        apps.push(bridge ? { name: app.name, args: await mapLegs(app.args ?? '', dial, taken, nout) } : app);
      }
      target = { ...written, apps };
    }
    const targetText = formatTarget(target) === formatTarget(written) ? parsed.targetText : formatTarget(target);
    return { parsed, args: [url, targetText, ...rawExtra(input)].join(' '), releaseAll };
  } catch (error) {
    await releaseAll('ORIGINATOR_CANCEL');
    if (error instanceof FsSyntaxError) throw new FreectiError('BAD_REQUEST', `${name}: ${error.message}`);
    throw error;
  }
}
