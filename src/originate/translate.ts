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
import { parseDialString } from '../fs-lang/dial-string.js';
import { formatOriginate, parseOriginate, type InlineApp, type Originate, type OriginateTarget } from '../fs-lang/originate.js';
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

export interface TranslatedOriginate {
  parsed: Originate;
  /** The `originate` arguments to send. */
  args: string;
  /** Releases every line taken (call when originate failed). */
  releaseAll(cause: string): Promise<void>;
}

/** Replaces each linegroup leg of a dial string (legs resolved in order, text kept around them). */
export async function mapLegs(text: string, dial: LinegroupDialer, taken: ResolvedLinegroup[]): Promise<string> {
  const legs = parseDialString(text).legs.filter((leg) => leg.endpoint.kind === 'linegroup');
  const resolved: { start: number; end: number; dialString: string }[] = [];
  for (const leg of legs) {
    const line = await dial(leg.text);
    taken.push(line);
    resolved.push({ start: leg.start, end: leg.start + leg.text.length, dialString: line.dialString });
  }
  let out = text;
  for (const r of resolved.reverse()) out = out.slice(0, r.start) + r.dialString + out.slice(r.end);
  return out;
}

export async function translateCtiOriginate(input: string, dial: LinegroupDialer): Promise<TranslatedOriginate> {
  let parsed: Originate;
  try {
    parsed = parseOriginate(input);
  } catch (error) {
    if (error instanceof FsSyntaxError) throw new FreectiError('BAD_REQUEST', `cti_originate: ${error.message}`);
    throw error;
  }
  const taken: ResolvedLinegroup[] = [];
  const releaseAll = async (cause: string): Promise<void> => {
    await Promise.allSettled(taken.map((t) => t.release?.(cause)));
  };
  try {
    const url = await mapLegs(parsed.url, dial, taken);
    let target: OriginateTarget = parsed.target;
    if (target.kind === 'app' && target.name.toLowerCase() === 'bridge') {
      target = { ...target, args: await mapLegs(target.args, dial, taken) };
    } else if (target.kind === 'inline') {
      const apps: InlineApp[] = [];
      for (const app of target.apps) {
        const bridge = app.name.toLowerCase() === 'bridge' && app.args !== undefined;
        apps.push(bridge ? { name: app.name, args: await mapLegs(app.args ?? '', dial, taken) } : app);
      }
      target = { ...target, apps };
    }
    return { parsed, args: formatOriginate(url, target, parsed.extra), releaseAll };
  } catch (error) {
    await releaseAll('ORIGINATOR_CANCEL');
    if (error instanceof FsSyntaxError) throw new FreectiError('BAD_REQUEST', `cti_originate: ${error.message}`);
    throw error;
  }
}
