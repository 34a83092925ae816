/**
 * Channel variable blocks: the inside of `{...}` (every leg), `[...]` (one leg) and
 * `<...>` (every thread of an enterprise originate), and the `name=value` of `set`,
 * `export` and friends. Pure.
 *
 * Items are separated by `,`, or by the character after a leading `^^`
 * (`{^^:a=1:b=2}`), outside single quotes; brackets do not protect a separator
 * (FreeSWITCH's own splitter), and each item is cleaned as FreeSWITCH cleans it
 * (quotes dropped, escapes resolved: scan.ts cleanWord); an item without `=` is
 * ignored, as FreeSWITCH ignores it. A name may carry `nolocal:` (export to the other
 * leg only).
 */
import { cleanWord, FsSyntaxError, splitQuoted } from './scan.js';

export interface ChannelVar {
  /** The variable name, `nolocal:` removed. */
  name: string;
  /** The value with FreeSWITCH's surrounding quotes removed. */
  value: string;
  nolocal: boolean;
}

const NAME = /^[\p{L}\p{N}_][\p{L}\p{N}_.-]{0,127}$/u;

export function parseVarBlock(body: string): ChannelVar[] {
  let sep = ',';
  let rest = body;
  if (body.startsWith('^^')) {
    sep = body[2] ?? '';
    if (sep === '' || /[A-Za-z0-9_'\\{}[\]<>=$]/.test(sep)) throw new FsSyntaxError(`'^^${sep}' is not a separator a variable block can use`);
    rest = body.slice(3);
  }
  const vars: ChannelVar[] = [];
  for (const item of splitQuoted(rest, sep)) {
    const text = cleanWord(item.text, sep);
    // switch_event_create_brackets ignores an item without '=' (`export_vars='a,b'` after the quotes went).
    if (text === '' || !text.includes('=')) continue;
    vars.push(parseAssignment(text));
  }
  return vars;
}

/** `[nolocal:]name=value`; the value may be empty, the name may not. */
export function parseAssignment(text: string): ChannelVar {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new FsSyntaxError(`'${text.slice(0, 60)}' is not name=value`);
  let name = text.slice(0, eq).trim();
  const nolocal = name.toLowerCase().startsWith('nolocal:');
  if (nolocal) name = name.slice('nolocal:'.length);
  if (!NAME.test(name)) throw new FsSyntaxError(`variable name '${name.slice(0, 60)}' is not a literal name (letters, digits, _ . -)`);
  return { name, value: text.slice(eq + 1).trim(), nolocal };
}

/** True when `name` is a literal variable name. */
export function isVariableName(name: string): boolean {
  return NAME.test(name);
}

/**
 * The inside of a variable block (`{...}`, `[...]`, `<...>`) with `vars` added after its
 * own items, joined with the block's separator: `,`, or the one of a leading `^^<sep>`
 * (`^^:a=1:b=2`). A var holding that separator cannot be added there and is refused
 * (FsSyntaxError) rather than split by FreeSWITCH.
 */
export function withBlockVars(body: string, vars: readonly string[]): string {
  const own = body.trim();
  const custom = /^\^\^(.)/su.exec(own);
  if (custom === null) return (own === '' ? [...vars] : [own, ...vars]).join(',');
  const sep = custom[1] as string;
  const clash = vars.find((v) => v.includes(sep));
  if (clash !== undefined) throw new FsSyntaxError(`cannot add '${clash.slice(0, 60)}' to a ^^${sep}... block: it holds the block's separator`);
  const items = own.slice(custom[0].length);
  return `^^${sep}${[...(items === '' ? [] : [items]), ...vars].join(sep)}`;
}

/**
 * `{<vars>}<dial string>` for text freecti builds: a dial string with its own leading
 * `{...}` block keeps it as the one block FreeSWITCH reads (its variables first, `vars`
 * after, withBlockVars: a block with its own separator, `{^^:a=1:b=2}`, gets `vars`
 * joined with it); the result still goes through the policy, whatever the block held.
 */
export function withLeadingVars(vars: readonly string[], dialString: string): string {
  let dial = dialString.trim();
  const own = /^\{([^{}]*)\}/.exec(dial);
  if (own !== null) dial = dial.slice(own[0].length);
  return `{${withBlockVars(own?.[1] ?? '', vars)}}${dial}`;
}
