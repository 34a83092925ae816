/**
 * cti_originate → FreeSWITCH originate: every `linegroup/<group>/<number>` dial string
 * (the called leg, and each leg of a `bridge` app or inline `bridge:`) is replaced by
 * the line the resolver picked; everything else is passed on unchanged.
 *
 * The resolver is a seam: production uses src/linegroups/ (LinegroupResolver); a
 * deployment without line groups gets BAD_REQUEST naming the dial string.
 */
import { FreectiError } from '../errors.js';
import { formatOriginate, parseCtiOriginate, type CtiOriginate, type InlineApp } from './cti-originate.js';
import { blockEnd, leadingBlocksLength, splitTopLevel } from './scan.js';

export interface ResolvedLinegroup {
  dialString: string;
  /** Gives the line back when the call could not start (optional). */
  release?: (cause: string) => Promise<void>;
}

/** Turns `linegroup/<group>/<number>` (with its `{..}`/`[..]` blocks) into a real dial string. */
export type LinegroupDialer = (dialString: string) => Promise<ResolvedLinegroup>;

export const noLinegroups: LinegroupDialer = async (dialString) => {
  throw new FreectiError('BAD_REQUEST', `'${dialString.slice(0, 120)}': line groups are not configured on this instance`);
};

export interface TranslatedOriginate {
  parsed: CtiOriginate;
  /** The `originate` arguments to send. */
  args: string;
  /** Releases every line taken (call when originate failed). */
  releaseAll(cause: string): Promise<void>;
}

const LEG_SEPARATORS = [':_:', ',', '|'] as const;

/** True when one leg (after its `{..}`/`[..]`/`<..>` blocks) is a linegroup dial string. */
function isLinegroupLeg(leg: string): boolean {
  return leg.slice(leadingBlocksLength(leg)).startsWith('linegroup/');
}

/** Replaces each linegroup leg of a dial string list (`a,b|c:_:d`). */
export async function mapLegs(text: string, dial: LinegroupDialer, taken: ResolvedLinegroup[]): Promise<string> {
  const legs = splitTopLevel(text, LEG_SEPARATORS);
  if (!legs.some((l) => isLinegroupLeg(l.text.trim()))) return text;
  let out = '';
  let cursor = 0;
  for (const leg of legs) {
    const trimmed = leg.text.trim();
    out += text.slice(cursor, leg.start);
    if (isLinegroupLeg(trimmed)) {
      // The `{...}` block (all legs) stays ours; the resolver sees `[..]linegroup/...`.
      const headEnd = trimmed.startsWith('{') ? blockEnd(trimmed, 0, '{', '}') + 1 : 0;
      const resolved = await dial(trimmed.slice(headEnd));
      taken.push(resolved);
      out += leg.text.replace(trimmed, trimmed.slice(0, headEnd) + resolved.dialString);
    } else {
      out += leg.text;
    }
    cursor = leg.start + leg.text.length;
  }
  return out + text.slice(cursor);
}

export async function translateCtiOriginate(input: string, dial: LinegroupDialer): Promise<TranslatedOriginate> {
  const parsed = parseCtiOriginate(input);
  const taken: ResolvedLinegroup[] = [];
  const releaseAll = async (cause: string): Promise<void> => {
    await Promise.allSettled(taken.map((t) => t.release?.(cause)));
  };
  try {
    const resolved: CtiOriginate = { ...parsed };
    const url = parsed.varsText === undefined ? parsed.dialString : `{${parsed.varsText}}${parsed.dialString}`;
    resolved.varsText = undefined;
    resolved.dialString = await mapLegs(url, dial, taken);
    const target = parsed.target;
    if (target.kind === 'app' && target.name.toLowerCase() === 'bridge') {
      resolved.target = { ...target, args: await mapLegs(target.args, dial, taken) };
    } else if (target.kind === 'inline') {
      const apps: InlineApp[] = [];
      for (const app of target.apps) {
        const bridge = app.name.toLowerCase() === 'bridge' && app.args !== undefined;
        apps.push(bridge ? { name: app.name, args: await mapLegs(app.args ?? '', dial, taken) } : app);
      }
      resolved.target = { ...target, apps };
    }
    return { parsed, args: formatOriginate(resolved), releaseAll };
  } catch (error) {
    await releaseAll('ORIGINATOR_CANCEL');
    throw error;
  }
}
