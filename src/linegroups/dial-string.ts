/**
 * `linegroup/<group>/<number>`: the mod_cti dial string FreeSWITCH does not know.
 * It may be preceded by a `{...}` block (all legs) and a `[...]` block (this leg), as
 * in `{origination_caller_id_number=1001}linegroup/default/5555`. It becomes
 * `{...}[<leg vars>,freecti_linegroup=..,freecti_line=..,freecti_lease=..,<line vars>]sofia/gateway/<gw>/<number>`.
 */
import { FreectiError } from '../errors.js';
import { parseDialString, type DialString } from '../fs-lang/dial-string.js';
import { FsSyntaxError } from '../fs-lang/scan.js';
import { parseExpansions } from '../fs-lang/expansion.js';
import { escapeChannelValue, formatVarBlock } from './channel-vars.js';
import type { ChannelVar } from '../fs-lang/var-block.js';
import { NAME, type Line } from './schema.js';

export interface LinegroupTarget {
  /** The leading `{...}` block, raw ('' when none). */
  head: string;
  /** The inside of the leg's `[...]` blocks, raw, joined with ',' ('' when none; a `^^<sep>` block written again with ',': commaLegVars). */
  legVars: string;
  group: string;
  number: string;
}

/**
 * The parts of a linegroup dial string (one leg: `{..}[..]linegroup/<group>/<number>`);
 * undefined when it is not one; LINEGROUP_DIAL_STRING when it is one but malformed.
 * Read by the one dial-string parser (src/fs-lang/dial-string.ts).
 */
export function parseLinegroupDialString(dialString: string): LinegroupTarget | undefined {
  let parsed: DialString;
  try {
    parsed = parseDialString(dialString);
  } catch (error) {
    if (!(error instanceof FsSyntaxError)) throw error;
    if (!/linegroup\//i.test(dialString)) return undefined;
    throw new FreectiError('LINEGROUP_DIAL_STRING', `'${dialString.slice(0, 200)}': ${error.message}`);
  }
  const [leg, ...others] = parsed.legs;
  if (leg === undefined || leg.endpoint.kind !== 'linegroup') return undefined;
  const fail = (why: string): never => {
    throw new FreectiError('LINEGROUP_DIAL_STRING', `'${dialString.slice(0, 200)}': ${why}`);
  };
  if (others.length > 0) fail('a linegroup dial string has one leg');
  if (!NAME.test(leg.endpoint.group)) fail(`group '${leg.endpoint.group.slice(0, 64)}' is not a valid name`);
  if (parseExpansions(dialString).some((piece) => piece.kind !== 'text')) fail('contains a ${...} expansion');
  return { head: parsed.head, legVars: commaLegVars(leg.legBlocks, leg.vars), group: leg.endpoint.group, number: leg.endpoint.number };
}

/**
 * The leg's `[...]` blocks as one `,`-separated block inside, the form freecti's line
 * variables are added to (buildLineDialString): as written, unless a block uses its own
 * separator (`^^:a=1:b=2`), whose items would take freecti's `,`-joined variables into
 * their last value; such blocks are written again from the variables the parser read
 * (values escaped as every line variable is).
 */
function commaLegVars(blocks: readonly string[], vars: readonly ChannelVar[]): string {
  if (!blocks.some((b) => b.trimStart().startsWith('^^'))) return blocks.join(',');
  return vars.map((v) => `${v.nolocal ? 'nolocal:' : ''}${v.name}=${escapeChannelValue(v.value)}`).join(',');
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
