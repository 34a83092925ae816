/**
 * `linegroup/<group>/<number>`: the mod_cti dial string FreeSWITCH does not know.
 * It may be preceded by a `{...}` block (all legs) and a `[...]` block (this leg), as
 * in `{origination_caller_id_number=1001}linegroup/default/5555`. It becomes
 * `{...}[<leg vars>,freecti_linegroup=..,freecti_line=..,freecti_lease=..,<line vars>]sofia/gateway/<gw>/<number>`.
 */
import { FreectiError } from '../errors.js';
import { formatVarBlock } from './channel-vars.js';
import { NAME, type Line } from './schema.js';

export interface LinegroupTarget {
  /** The leading `{...}` block, raw ('' when none). */
  head: string;
  /** The inside of a leading `[...]` block, raw ('' when none). */
  legVars: string;
  group: string;
  number: string;
}

/** A number as dialed: digits, optionally after +, 1-32 of them (also `*` and `#` inside). */
const NUMBER = /^\+?[0-9][0-9*#]{0,31}$|^[*#][0-9*#]{0,31}$/;

export function isLinegroupDialString(dialString: string): boolean {
  return /^(?:\{[^]*\})?(?:\[[^]*\])?linegroup\//.test(dialString.trim());
}

/** The parts of a linegroup dial string; undefined when it is not one; LINEGROUP_DIAL_STRING when malformed. */
export function parseLinegroupDialString(dialString: string): LinegroupTarget | undefined {
  let rest = dialString.trim();
  const fail = (why: string): never => {
    throw new FreectiError('LINEGROUP_DIAL_STRING', `'${dialString.slice(0, 200)}': ${why}`);
  };
  let head = '';
  let legVars = '';
  if (rest.startsWith('{')) {
    const end = blockEnd(rest, '{', '}');
    if (end < 0) return isLinegroupDialString(rest) ? fail('unbalanced {') : undefined;
    head = rest.slice(0, end + 1);
    rest = rest.slice(end + 1);
  }
  if (rest.startsWith('[')) {
    const end = blockEnd(rest, '[', ']');
    if (end < 0) return undefined;
    legVars = rest.slice(1, end);
    rest = rest.slice(end + 1);
  }
  if (!rest.startsWith('linegroup/')) return undefined;
  if (dialString.includes('${')) fail('contains ${ (variable expansion)');
  const parts = rest.slice('linegroup/'.length).split('/');
  if (parts.length !== 2) fail('expected linegroup/<group>/<number>');
  const [group = '', number = ''] = parts;
  if (!NAME.test(group)) fail(`group '${group.slice(0, 64)}' is not a valid name`);
  if (!NUMBER.test(number)) fail(`'${number.slice(0, 64)}' is not a plain number`);
  return { head, legVars, group, number };
}

/** Index of the bracket closing the block that opens at 0, or -1. */
function blockEnd(text: string, open: string, close: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === open) depth++;
    else if (text[i] === close && --depth === 0) return i;
  }
  return -1;
}

/** The number the line dials: `stripDigits` removed, `addPrefix` put in front. */
export function lineNumber(line: Line, number: string): string {
  return `${line.addPrefix}${number.slice(line.stripDigits)}`;
}

/** The FreeSWITCH dial string for one attempt on one line. */
export function buildLineDialString(target: LinegroupTarget, line: Line, leaseId: string): string {
  const ours = formatVarBlock(
    { freecti_linegroup: target.group, freecti_line: line.id, freecti_lease: leaseId, ...line.variables },
    '[',
  ).slice(1, -1);
  const leg = target.legVars === '' ? ours : `${target.legVars},${ours}`;
  return `${target.head}[${leg}]sofia/gateway/${line.gateway}/${lineNumber(line, target.number)}`;
}
