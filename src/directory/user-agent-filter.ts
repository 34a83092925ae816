/**
 * `user-agent-filter`: a regular expression the phone's User-Agent must match.
 *
 * The pattern comes from Redis, so it is untrusted: it runs on the linear-time engine
 * of src/safe-regex.ts (RE2 syntax), where no pattern can backtrack catastrophically,
 * whatever User-Agent a REGISTER carries. A pattern that does not compile there
 * (including back-references and lookaround) or is longer than MAX_PATTERN is refused,
 * and the caller denies. The User-Agent is cut to MAX_USER_AGENT characters before
 * matching, which bounds the work of every match.
 */
import { compileSafeRegex, type SafeRegex } from '../safe-regex.js';

export const MAX_USER_AGENT = 256;
export const MAX_PATTERN = 512;

export type UserAgentFilter = SafeRegex;

/** One filter object per compiled pattern (the compiled patterns are cached in safe-regex.ts). */
const filters = new WeakMap<SafeRegex, UserAgentFilter>();

export function compileUserAgentFilter(pattern: string): UserAgentFilter {
  const compiled = compileSafeRegex(pattern, MAX_PATTERN);
  if (!compiled.ok) return compiled;
  let filter = filters.get(compiled);
  if (filter === undefined) {
    filter = { ok: true, test: (userAgent) => compiled.test(userAgent.slice(0, MAX_USER_AGENT)) };
    filters.set(compiled, filter);
  }
  return filter;
}
