/**
 * `user-agent-filter`: a regular expression the phone's User-Agent must match.
 *
 * The pattern comes from Redis, so it is untrusted: a pattern that does not compile,
 * is too long, or can backtrack catastrophically (a quantified group that itself holds
 * a quantifier or an alternation, e.g. `(a+)+`, `(a|aa)*`, or a back-reference) is
 * refused, and the caller denies. The User-Agent is cut to MAX_USER_AGENT characters
 * before matching, which bounds the work of every accepted pattern.
 */
export const MAX_USER_AGENT = 256;
export const MAX_PATTERN = 512;

export type UserAgentFilter = { ok: true; test(userAgent: string): boolean } | { ok: false; reason: string };

const compiled = new Map<string, UserAgentFilter>();
const CACHE_MAX = 1000;

export function compileUserAgentFilter(pattern: string): UserAgentFilter {
  const cached = compiled.get(pattern);
  if (cached !== undefined) return cached;
  const filter = build(pattern);
  if (compiled.size >= CACHE_MAX) compiled.clear();
  compiled.set(pattern, filter);
  return filter;
}

function build(pattern: string): UserAgentFilter {
  if (pattern.length > MAX_PATTERN) return { ok: false, reason: `pattern longer than ${MAX_PATTERN} characters` };
  const unsafe = unsafeConstruct(pattern);
  if (unsafe !== undefined) return { ok: false, reason: unsafe };
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    return { ok: false, reason: `invalid regex: ${(error as Error).message}` };
  }
  return { ok: true, test: (userAgent) => regex.test(userAgent.slice(0, MAX_USER_AGENT)) };
}

/** Finds constructs that make a backtracking engine exponential; undefined when none. */
export function unsafeConstruct(pattern: string): string | undefined {
  if (/\\[1-9]|\\k</.test(pattern)) return 'back-references are not allowed';
  // Per open group: does it contain a quantifier or an alternation?
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push(false);
    else if (c === ')') {
      const risky = stack.pop() ?? false;
      if (risky && isQuantifier(pattern, i + 1)) return 'nested quantifier (a quantified group containing a quantifier or |)';
      if (risky && stack.length > 0) stack[stack.length - 1] = true;
      if (isQuantifier(pattern, i + 1) && stack.length > 0) stack[stack.length - 1] = true;
    } else if ((c === '*' || c === '+' || c === '{' || c === '|' || c === '?') && stack.length > 0) {
      if (c !== '?' || !isGroupPrefix(pattern, i)) stack[stack.length - 1] = true;
    }
  }
  return undefined;
}

function isQuantifier(pattern: string, at: number): boolean {
  const c = pattern[at];
  return c === '*' || c === '+' || (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(at)));
}

/** `?` right after `(` starts a group modifier such as `(?:`, not a quantifier. */
function isGroupPrefix(pattern: string, at: number): boolean {
  return pattern[at - 1] === '(' && pattern[at - 2] !== '\\';
}
