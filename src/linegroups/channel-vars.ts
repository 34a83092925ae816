/**
 * Channel variable blocks of a FreeSWITCH dial string: `{k=v,...}` (all legs) and
 * `[k=v,...]` (one leg).
 *
 * FreeSWITCH splits a block on `,` honouring backslash escapes, so `,` `'` and `\` in
 * a value are escaped with a backslash. It finds the END of a block by counting
 * brackets, which an escape does not hide: a value containing `{ } [ ]` is refused.
 * `${` (variable or API expansion when the dial string is executed) is refused too, as
 * are control characters. Names are letters, digits, `_ . -`.
 */
import { FreectiError } from '../errors.js';

const VAR_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** Why a value cannot go into a block, or undefined when it can. */
export function channelValueProblem(value: string): string | undefined {
  if (/[[\]]/.test(value)) return 'contains a bracket [ ]';
  let depth = 0;
  for (const ch of value) {
    if (ch === '{') depth++;
    else if (ch === '}' && --depth < 0) break;
  }
  if (depth !== 0) return 'contains an unbalanced { }';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'contains a control character';
  return undefined;
}

export function escapeChannelValue(value: string): string {
  return value.replace(/[\\,']/g, (c) => `\\${c}`);
}

/**
 * `{k=v,...}` or `[k=v,...]` from a map; '' for an empty map. Throws BAD_REQUEST-like
 * `errorKey` errors naming the variable when a name or value is not allowed.
 */
export function formatVarBlock(
  vars: Readonly<Record<string, string>>,
  kind: '{' | '[',
  errorKey: 'BRIDGE_BAD_REPLY' | 'BAD_REQUEST' = 'BAD_REQUEST',
): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (!VAR_NAME.test(name)) throw new FreectiError(errorKey, `variable name '${name.slice(0, 64)}' is not allowed (letters, digits, _ . -)`);
    const problem = channelValueProblem(value);
    if (problem !== undefined) throw new FreectiError(errorKey, `variable '${name}' ${problem}`);
    parts.push(`${name}=${escapeChannelValue(value)}`);
  }
  if (parts.length === 0) return '';
  return kind === '{' ? `{${parts.join(',')}}` : `[${parts.join(',')}]`;
}
