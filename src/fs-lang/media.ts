/**
 * Files FreeSWITCH reads (playback, broadcast, ringback...) and writes (record...).
 *
 * Read: a sound path (relative to the sound prefix, or absolute) with no `..` segment;
 * `tone_stream://`, `silence_stream://`, `local_stream://`, `say:`, `phrase:`;
 * `file_string://a!b` with each part checked; http(s) (also behind `http_cache://` or
 * `shout://`) only under `security.mediaUrlPrefixes`. Any other `scheme://` is refused.
 * Write: under one of `security.recordDirs`, no `..` segment, also not once expanded
 * (writtenShape: only `${strftime(..)}`, globals and `security.recordPathVariables` may be
 * spliced in), or exactly `${record_filename}` (every assignment of record_filename is
 * itself checked as a path to write, variables.ts).
 */
import type { PolicyChecks as FsPolicy } from './checks.js';
import { parseExpansions } from './expansion.js';
import { PolicyRefusal } from './refusal.js';

const SAFE_SCHEMES = ['tone_stream://', 'silence_stream://', 'local_stream://'];
const TEXT_PREFIXES = ['say:', 'phrase:'];
const FETCH_WRAPPERS = ['http_cache://', 'shout://'];

export function checkMedia(policy: FsPolicy, text: string, where: string): void {
  policy.text(text, where);
  const file = text.trim();
  if (file === '') throw new PolicyRefusal(`${where}: no file`);
  const lower = file.toLowerCase();
  if (lower.startsWith('file_string://')) {
    for (const part of file.slice('file_string://'.length).split('!')) checkMedia(policy, part, where);
    return;
  }
  if (SAFE_SCHEMES.some((s) => lower.startsWith(s)) || TEXT_PREFIXES.some((s) => lower.startsWith(s))) return;
  const wrapper = FETCH_WRAPPERS.find((s) => lower.startsWith(s));
  if (wrapper !== undefined || lower.startsWith('http://') || lower.startsWith('https://')) {
    const url = wrapper === 'shout://' ? `http://${file.slice(wrapper.length)}` : wrapper === undefined ? file : file.slice(wrapper.length);
    if (!urlAllowed(url, policy.options.mediaUrlPrefixes)) throw new PolicyRefusal(`${where}: '${url.slice(0, 80)}' is not under security.mediaUrlPrefixes`);
    return;
  }
  if (/^[{[<]/.test(file)) throw new PolicyRefusal(`${where}: file parameters ({...} before a file) are not allowed`);
  if (/^[A-Za-z][A-Za-z0-9+._-]*:\/\//.test(file)) throw new PolicyRefusal(`${where}: '${file.slice(0, 40)}' uses a scheme that is not allowed`);
  if (hasDotDot(file)) throw new PolicyRefusal(`${where}: '..' in a file path`);
}

export function checkRecordPath(policy: FsPolicy, text: string, where: string): void {
  policy.text(text, where);
  const path = text.replace(/\\/g, '').trim();
  if (path === '${record_filename}') return;
  if (/\s/.test(path)) throw new PolicyRefusal(`${where}: a file name holds white space`);
  if (hasDotDot(path) || hasDotDot(writtenShape(policy, path, where))) throw new PolicyRefusal(`${where}: '..' in a file path`);
  if (!policy.options.recordDirs.some((dir) => path.startsWith(dir) && path.length > dir.length)) {
    throw new PolicyRefusal(`${where}: '${path.slice(0, 80)}' is not under security.recordDirs (${policy.options.recordDirs.join(', ')})`);
  }
}

/**
 * The path as FreeSWITCH will write it, as far as freecti can know it: every expansion
 * replaced by what it can produce. `${strftime(fmt)}` is its format's literal text (a
 * conversion gives digits, names or `/`, never a dot); `$${global}` is operator
 * configuration; `${var}` must be one of `security.recordPathVariables` (default `uuid`):
 * a variable a caller can set (`caller_id_number`, `destination_number`...) may hold
 * `../` and is refused here, though it may be expanded elsewhere.
 */
function writtenShape(policy: FsPolicy, path: string, where: string): string {
  if (!path.includes('$')) return path;
  const allowed = new Set(policy.options.recordPathVariables.map((v) => v.toLowerCase()));
  return parseExpansions(path)
    .map((piece) => {
      switch (piece.kind) {
        case 'text':
          return piece.text;
        case 'call':
          return piece.args.replace(/%./g, 'D');
        case 'var':
          if (piece.global) return 'G';
          if (piece.name.toLowerCase() === 'record_filename' || allowed.has(piece.name.toLowerCase())) return 'V';
          throw new PolicyRefusal(
            `${where}: ${piece.raw.slice(0, 60)} may not be part of a path to write: a caller can set it (to '../..'); use \${uuid}, \${strftime(..)} or security.recordPathVariables`,
          );
        default:
          return piece.raw;
      }
    })
    .join('');
}

function hasDotDot(path: string): boolean {
  return path.split(/[/\\]/).some((segment) => segment === '..');
}

/** True when `url` parses and starts with one of the prefixes (same origin, path at a segment boundary). */
export function urlAllowed(url: string, prefixes: readonly string[]): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if ((target.protocol !== 'http:' && target.protocol !== 'https:') || target.username !== '' || target.password !== '') return false;
  return prefixes.some((prefix) => {
    let base: URL;
    try {
      base = new URL(prefix);
    } catch {
      return false;
    }
    const anyPort = !/^[a-z]+:\/\/(?:\[[^\]]*\]|[^/:]*):\d+/i.test(prefix);
    if (base.protocol !== target.protocol || base.hostname !== target.hostname || (!anyPort && base.port !== target.port)) return false;
    const path = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    return base.pathname === '/' || target.pathname === base.pathname || target.pathname.startsWith(path);
  });
}
