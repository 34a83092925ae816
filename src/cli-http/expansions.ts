/**
 * `${...}` expansions that could build a command name at run time, out of sight of the
 * denylist scan: FreeSWITCH expands variables in application arguments and hook
 * values, so `${a}${b}` with `a=sys`, `b=tem`, or `${url_decode(%73ystem)}`, can
 * become `system` only when the call runs. Pure.
 *
 * Refused unless a key is granted `expansions` (exactly):
 * - an expansion glued to a letter, digit, `_` or another expansion (`sys${b}`,
 *   `${a}tem`, `${a}${b}`): a spliced word;
 * - an expansion that calls an api function other than the harmless ones the seed
 *   and dial strings use (`strftime`, `strepoch`, `sofia_contact`, `verto_contact`,
 *   `user_data`): `${url_decode(...)}`, `${regex(...)}`, `${cut(...)}`, `${expr(...)}`...
 * Plain variable references (`${uuid}`, `$${recordings_dir}`, `\${record_filename}`) pass.
 */
import { blockEnd } from '../originate/scan.js';

export const SAFE_EXPANSION_APIS: ReadonlySet<string> = new Set(['strftime', 'strepoch', 'sofia_contact', 'verto_contact', 'user_data']);

const VARIABLE = /^[A-Za-z0-9_.:-]+$/;
const API_CALL = /^([A-Za-z0-9_]+)(?:\(|\s)/;
const WORD = /[A-Za-z0-9_]/;

/** Reasons the text needs the `expansions` grant (empty when none). */
export function expansionProblems(text: string): string[] {
  const problems: string[] = [];
  const expansionEnds = new Set<number>();
  for (let at = text.indexOf('${'); at >= 0; at = text.indexOf('${', at + 2)) {
    const end = blockEnd(text, at + 1, '{', '}');
    if (end < 0) continue; // unbalanced: FreeSWITCH leaves it as text
    const inner = text.slice(at + 2, end);
    const before = text[at - 1] ?? '';
    const beforeIsDollar = before === '$' && (text[at - 2] ?? '') !== '\\';
    const start = beforeIsDollar ? at - 1 : at;
    const prev = text[start - 1] ?? '';
    const next = text[end + 1] ?? '';
    expansionEnds.add(end);
    if (WORD.test(prev) || expansionEnds.has(start - 1) || WORD.test(next) || next === '$') problems.push(`spliced expansion \${${inner.slice(0, 40)}}`);
    if (!VARIABLE.test(inner)) {
      const api = API_CALL.exec(inner)?.[1];
      if (api === undefined || !SAFE_EXPANSION_APIS.has(api.toLowerCase())) problems.push(`api expansion \${${inner.slice(0, 40)}}`);
    }
  }
  return problems;
}
