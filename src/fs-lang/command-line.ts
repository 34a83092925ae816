/**
 * API command lines (`api <command> <args>`), with the wrappers that run another
 * command unwrapped, recursively: `bgapi <cmd>`, `sched_api [+@]<time> <group|none>
 * <cmd>[&]` and `expand <cmd>`. Pure; throws FsSyntaxError.
 */
import { assertNoControl, firstWord, FsSyntaxError } from './scan.js';

export interface CommandLine {
  /** The command FreeSWITCH finally runs, lower case. */
  command: string;
  args: string;
  /** The wrappers around it, outermost first (`bgapi`, `sched_api`, `expand`). */
  wrappers: string[];
}

export const WRAPPERS: ReadonlySet<string> = new Set(['bgapi', 'sched_api', 'expand']);
const COMMAND = /^[A-Za-z0-9_]{1,64}$/;
const MAX_DEPTH = 8;

export function parseCommandLine(command: string, args: string): CommandLine {
  assertNoControl(command, 'the command');
  assertNoControl(args, 'the arguments');
  const wrappers: string[] = [];
  let name = command.trim().toLowerCase();
  let rest = args.trim();
  for (;;) {
    if (!COMMAND.test(name)) throw new FsSyntaxError(`'${name.slice(0, 64)}' is not a command name (letters, digits, _)`);
    if (!WRAPPERS.has(name)) return { command: name, args: rest, wrappers };
    if (wrappers.length >= MAX_DEPTH) throw new FsSyntaxError(`more than ${MAX_DEPTH} nested wrappers`);
    wrappers.push(name);
    if (name === 'sched_api') {
      const [time, afterTime] = firstWord(rest);
      const [group, inner] = firstWord(afterTime);
      if (!/^[+@]?\d{1,10}$/.test(time) || group === '') throw new FsSyntaxError('sched_api needs [+@]<time> <group|none> <command>');
      rest = inner.replace(/&\s*$/, '');
    }
    [name, rest] = firstWord(rest);
    name = name.toLowerCase();
    if (name === '') throw new FsSyntaxError(`${wrappers.at(-1) ?? ''} needs a command`);
  }
}
