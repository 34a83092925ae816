/**
 * FreeSWITCH's variable expansions, `${...}` and `$${...}`, parsed. Pure.
 *
 * FreeSWITCH expands them whenever it runs an application, an api hook or an
 * originate, and some texts are expanded again later (a hook variable's value when the
 * hook fires), so what matters is every place `$` + `{` can appear once quoting and
 * escaping are gone. The scan therefore reads the text with backslashes and quotes
 * removed (`\${x}`, `$'{'x}` and `$\{x}` all count as `${x}`) and cuts it into pieces:
 *
 * - `text`: literal text with no expansion in it;
 * - `var`: `${name}` (channel variable) or `$${name}` (global variable);
 * - `call`: `${fn(args)}`: the api function `fn` runs with `args`;
 * - `invalid`: anything else that starts with `${`: substrings `${v:1:3}`, nested
 *   `${${x}}`, `${fn args}`, unbalanced braces. policy.ts refuses these everywhere.
 */

export type Expansion =
  | { kind: 'text'; text: string }
  | { kind: 'var'; name: string; global: boolean; raw: string }
  | { kind: 'call'; fn: string; args: string; raw: string }
  | { kind: 'invalid'; raw: string; why: string };

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
const CALL = /^([A-Za-z_][A-Za-z0-9_]{0,63})\(([^]*)\)$/;

/** The text as the expansion scan reads it: backslashes and quotes removed. */
export function expansionView(text: string): string {
  return text.replace(/[\\'"]/g, '');
}

/** Cuts `text` into literal text and expansions (see the module comment). */
export function parseExpansions(text: string): Expansion[] {
  const view = expansionView(text);
  const pieces: Expansion[] = [];
  let literal = '';
  let i = 0;
  while (i < view.length) {
    const global = view.startsWith('$${', i);
    if (!global && !view.startsWith('${', i)) {
      literal += view[i];
      i += 1;
      continue;
    }
    if (literal !== '') pieces.push({ kind: 'text', text: literal });
    literal = '';
    const open = i + (global ? 2 : 1);
    const close = closingBrace(view, open);
    if (close < 0) {
      pieces.push({ kind: 'invalid', raw: view.slice(i, i + 80), why: 'unbalanced ${' });
      return pieces;
    }
    const raw = view.slice(i, close + 1);
    pieces.push(classify(view.slice(open + 1, close), raw, global));
    i = close + 1;
  }
  if (literal !== '') pieces.push({ kind: 'text', text: literal });
  return pieces;
}

function classify(inner: string, raw: string, global: boolean): Expansion {
  if (inner.includes('${')) return { kind: 'invalid', raw, why: 'nested expansion' };
  if (VAR_NAME.test(inner) && !inner.includes(':')) return { kind: 'var', name: inner, global, raw };
  const call = CALL.exec(inner);
  if (call !== null && !global) return { kind: 'call', fn: (call[1] as string).toLowerCase(), args: call[2] as string, raw };
  if (/^[A-Za-z_][A-Za-z0-9_.-]*:/.test(inner)) return { kind: 'invalid', raw, why: 'substring expansion' };
  return { kind: 'invalid', raw, why: 'not a variable name or fn(args)' };
}

/** Index of the `}` that closes the `{` at `open`, or -1. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}
