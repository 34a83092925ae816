/**
 * Regular expressions that come from config or Redis (docs/regex.md): compiled on RE2JS,
 * a pure-JavaScript port of RE2, whose matching time is linear in the input whatever
 * the pattern. V8's RegExp backtracks, so one pattern such as `^(a+)+$` and a crafted
 * input of a few dozen characters can hold the event loop for seconds or more; on
 * this engine that is not possible, so no pattern is judged "unsafe" by a heuristic.
 *
 * Refused, with a reason: a pattern longer than the caller's cap; a pattern RE2 syntax
 * does not accept (back-references `\1` `\k<n>`, lookahead and lookbehind, JS-only
 * escapes such as `\u0041`: write `\x{41}`); a pattern whose compiled program has more
 * than MAX_PROGRAM instructions (e.g. `(a?a?a?...){1000}`), which would still be linear
 * but with a constant large enough to cost milliseconds per match.
 *
 * Compiled patterns (and refusals) are kept in a bounded cache: the first lookup of a
 * pattern compiles it, the next ones cost one Map lookup.
 */
import { RE2JS } from 're2js';

export type SafeRegex = { ok: true; test(input: string): boolean } | { ok: false; reason: string };

/** Default length cap (characters) of a pattern; callers may pass a smaller one. */
export const MAX_PATTERN = 512;
/** Largest compiled program accepted (RE2 instructions); `^(Yealink|Grandstream|Fanvil)` has 35. */
export const MAX_PROGRAM = 4096;
/** Patterns kept compiled; the oldest entry leaves first when full. */
export const CACHE_MAX = 1000;

const cache = new Map<string, SafeRegex>();

/** `pattern` compiled on the linear-time engine, or the reason it is refused. Never throws. */
export function compileSafeRegex(pattern: string, maxLength: number = MAX_PATTERN): SafeRegex {
  if (pattern.length > maxLength) return { ok: false, reason: `pattern longer than ${maxLength} characters` };
  const cached = cache.get(pattern);
  if (cached !== undefined) return cached;
  const compiled = build(pattern);
  if (cache.size >= CACHE_MAX) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(pattern, compiled);
  return compiled;
}

/** Number of compiled patterns held (tests). */
export function safeRegexCacheSize(): number {
  return cache.size;
}

function build(pattern: string): SafeRegex {
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(pattern);
  } catch (error) {
    return { ok: false, reason: refusal(pattern, error) };
  }
  const size = regex.programSize();
  if (size > MAX_PROGRAM) return { ok: false, reason: `pattern too large: ${size} instructions compiled, at most ${MAX_PROGRAM}` };
  return { ok: true, test: (input) => regex.test(input) };
}

function refusal(pattern: string, error: unknown): string {
  const message = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error);
  if (/\(\?<?[=!]/.test(pattern)) return `invalid regex: lookahead and lookbehind are not supported by the linear-time engine (RE2 syntax): ${message}`;
  if (/\\[1-9]|\\k</.test(pattern)) return `invalid regex: back-references are not supported by the linear-time engine (RE2 syntax): ${message}`;
  return `invalid regex (RE2 syntax): ${message}`;
}
