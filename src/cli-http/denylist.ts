/**
 * Commands and applications that reach outside call handling: a shell on the
 * FreeSWITCH host, a script interpreter, the process itself, or a way to run another
 * api command indirectly. A key may use one only when it lists the name exactly
 * (a glob such as `*` or `uuid_*` never grants them). docs/cli.md lists them all.
 *
 * The names are looked for everywhere in the command line, not only as the command:
 * `originate user/1 &system(...)`, `'system:...' inline`, `{api_on_answer=system ...}`,
 * `${system ...}` inside a variable, `uuid_broadcast <uuid> system::...`,
 * `loopback/app=system:...`, `sched_api +1 none system ...` all name `system`.
 */
export type DangerClass = 'shell' | 'script' | 'process' | 'indirection';

export const DANGEROUS: ReadonlyMap<string, DangerClass> = new Map<string, DangerClass>([
  // run a program on the FreeSWITCH host
  ['system', 'shell'],
  ['bg_system', 'shell'],
  ['bgsystem', 'shell'],
  ['spawn', 'shell'],
  ['spawn_stream', 'shell'],
  ['bg_spawn', 'shell'],
  // script interpreters (api and dialplan application names)
  ['lua', 'script'],
  ['luarun', 'script'],
  ['js', 'script'],
  ['jsrun', 'script'],
  ['jsapi', 'script'],
  ['javascript', 'script'],
  ['v8', 'script'],
  ['v8run', 'script'],
  ['perl', 'script'],
  ['perlrun', 'script'],
  ['python', 'script'],
  ['pyrun', 'script'],
  ['python3', 'script'],
  ['py3run', 'script'],
  ['java', 'script'],
  ['managed', 'script'],
  ['managedrun', 'script'],
  ['mono', 'script'],
  ['tcl', 'script'],
  ['yaml', 'script'],
  // the FreeSWITCH process and its configuration
  ['fsctl', 'process'],
  ['shutdown', 'process'],
  ['load', 'process'],
  ['unload', 'process'],
  ['reload', 'process'],
  ['bgload', 'process'],
  ['reloadxml', 'process'],
  ['reloadacl', 'process'],
  ['reload_acl', 'process'],
  ['global_setvar', 'process'],
  ['hupall', 'process'],
  ['xml_flush_cache', 'process'],
  // run another api command indirectly (its own arguments would escape the checks)
  ['expand', 'indirection'],
  ['eval', 'indirection'],
  ['sched_api', 'indirection'],
]);

/** `sofia` sub-commands that restart or reconfigure the SIP stack. */
const SOFIA_PROCESS = /^(?:profile\s+\S+\s+(?:start|stop|restart|rescan|killgw|flush_inbound_reg)\b|global\b|loglevel\b|tracelevel\b|recover\b)/i;

/**
 * Every dangerous name a command line mentions as a command or application: the
 * name must be delimited by characters that cannot be part of a file name or
 * number (`&`, `,`, `'`, `{`, `=`, `:`, `(`, white space, ...), so `/sounds/system.wav`
 * or `system-message.wav` do not count. Backslash escapes are looked through.
 */
export function dangerousNames(commandLine: string): string[] {
  const text = commandLine.replace(/\\/g, '').toLowerCase();
  const found = new Set<string>();
  const token = /[a-z0-9_]+/g;
  for (let m = token.exec(text); m !== null; m = token.exec(text)) {
    const name = m[0];
    if (!DANGEROUS.has(name)) continue;
    const before = m.index === 0 ? '' : (text[m.index - 1] ?? '');
    const after = text[m.index + name.length] ?? '';
    if (isDelimiter(before) && isDelimiter(after)) found.add(name);
  }
  const sofia = /^\s*sofia\s+(.*)$/is.exec(commandLine);
  if (sofia !== null && SOFIA_PROCESS.test(sofia[1] ?? '')) found.add('sofia-control');
  return [...found];
}

/** Characters that cannot continue a path, a file name or a number. */
function isDelimiter(ch: string): boolean {
  return ch === '' || !/[a-z0-9_./\-~%@]/.test(ch);
}
