/**
 * FreeSWITCH runs an `api` command on the event-socket connection's own thread: until it
 * returns, that connection carries no event and no other reply. A slow command (an
 * `originate` rings for up to a minute) would stall every event of the node and, past
 * the command timeout, get the connection torn down. So freecti sends `api` only for
 * the commands known to answer at once (QUICK_COMMANDS, docs/cli.md); every other
 * command runs as `bgapi` and freecti waits for its BACKGROUND_JOB, whose body is the
 * very text `api` would have answered. The wait is bounded by the command's own timeout
 * (originate: `originate_timeout` / `leg_timeout` / the timeout argument) plus a margin,
 * and a timeout is ESL_TIMEOUT (504) naming the job.
 */
import { FreectiError, isFreectiError } from '../errors.js';
import { parseOriginate } from '../fs-lang/originate.js';
import { splitQuoted } from '../fs-lang/scan.js';
import type { CommandOptions, EslCommander } from './types.js';

/**
 * Commands that answer without waiting on a call, media, the network or the directory.
 * `conference` and `sofia` are quick except for the sub-commands in SLOW_SUBCOMMANDS.
 */
export const QUICK_COMMANDS: ReadonlySet<string> = new Set([
  'status',
  'show',
  'uptime',
  'version',
  'hostname',
  'global_getvar',
  'echo',
  'eval',
  'uuid_exists',
  'uuid_kill',
  'uuid_getvar',
  'uuid_setvar',
  'uuid_setvar_multi',
  'uuid_dump',
  'uuid_hold',
  'uuid_broadcast',
  'uuid_break',
  'uuid_transfer',
  'uuid_bridge',
  'uuid_park',
  'uuid_record',
  'uuid_send_dtmf',
  'conference',
  'sofia',
]);

/** Sub-commands that make a quick command slow (`conference <room> dial ...` originates). */
const SLOW_SUBCOMMANDS: Readonly<Record<string, (words: string[]) => boolean>> = {
  conference: (words) => words[1]?.toLowerCase() === 'dial',
  sofia: (words) => words[0]?.toLowerCase() === 'profile' && /^(start|stop|restart|rescan|killgw)$/i.test(words[2] ?? ''),
};

/** FreeSWITCH's own originate timeout when none is given (seconds). */
export const DEFAULT_ORIGINATE_SECONDS = 60;
/** Added to a command's own timeout: FreeSWITCH sends the job a moment after it gave up. */
export const JOB_MARGIN_MS = 10_000;

/** True when `command arg` answers at once and may run as a plain `api`. */
export function runsQuick(command: string, arg = ''): boolean {
  const name = command.toLowerCase();
  if (!QUICK_COMMANDS.has(name)) return false;
  const slow = SLOW_SUBCOMMANDS[name];
  return slow === undefined || !slow(arg.trim().split(/\s+/));
}

/**
 * How long an `originate <args>` may run, ms: each `|` group rings for its longest leg
 * (`leg_timeout`, else `originate_timeout`, else the timeout argument, else 60 s), one
 * group after another. Unreadable arguments: the default.
 */
export function originateTimeoutMs(args: string): number {
  try {
    const parsed = parseOriginate(args);
    const seconds = (value: string | undefined): number | undefined => {
      const n = value === undefined ? NaN : Number(value.trim());
      return Number.isFinite(n) && n > 0 ? n : undefined;
    };
    const lastVar = (vars: readonly { name: string; value: string }[], name: string): string | undefined => [...vars].reverse().find((v) => v.name === name)?.value;
    const globalVar = (name: string): string | undefined => lastVar(parsed.call.vars, name);
    const base = seconds(globalVar('originate_timeout')) ?? seconds(parsed.extra[4]) ?? DEFAULT_ORIGINATE_SECONDS;
    const legSeconds = parsed.call.legs.map((leg) => seconds(lastVar(leg.vars, 'leg_timeout')) ?? seconds(globalVar('leg_timeout')) ?? base);
    const groups = Math.max(1, splitQuoted(parsed.url, '|').length);
    return Math.ceil(Math.max(base, ...legSeconds) * groups * 1000);
  } catch {
    return DEFAULT_ORIGINATE_SECONDS * 1000;
  }
}

/** How long to wait for the job of `command arg` (its own timeout + JOB_MARGIN_MS; else `otherMs`). */
export function jobWaitMs(command: string, arg: string, otherMs: number): number {
  return command.toLowerCase() === 'originate' ? originateTimeoutMs(arg) + JOB_MARGIN_MS : otherMs;
}

export interface RunCommandOptions extends CommandOptions {
  /** Wait for a command that has no timeout of its own (not originate), ms. */
  otherWaitMs: number;
  /** Called with the job's uuid as soon as FreeSWITCH accepted it. */
  onJob?: (jobUuid: string) => void;
}

/**
 * The text `api <command> <arg>` answers, without blocking the node: a quick command
 * runs as `api`; any other as `bgapi`, waiting (bounded, see jobWaitMs) for its
 * BACKGROUND_JOB body. A timeout is ESL_TIMEOUT with `details.jobUuid`.
 */
export async function runCommandText(
  node: Pick<EslCommander, 'api' | 'bgapi'>,
  command: string,
  arg: string,
  options: RunCommandOptions,
): Promise<{ text: string; jobUuid?: string }> {
  const { otherWaitMs, onJob, ...commandOptions } = options;
  if (runsQuick(command, arg)) return { text: await node.api(command, arg, commandOptions) };
  const job = await node.bgapi(command, arg, commandOptions);
  onJob?.(job.jobUuid);
  const waitMs = jobWaitMs(command, arg, otherWaitMs);
  try {
    const waitOptions: CommandOptions = { timeoutMs: waitMs };
    if (commandOptions.signal !== undefined) waitOptions.signal = commandOptions.signal;
    return { text: await job.wait(waitOptions), jobUuid: job.jobUuid };
  } catch (error) {
    if (isFreectiError(error, 'ESL_TIMEOUT')) {
      throw new FreectiError('ESL_TIMEOUT', `${command} (background job ${job.jobUuid}) did not finish within ${waitMs} ms`, {
        details: { jobUuid: job.jobUuid, command, waitMs },
      });
    }
    throw error;
  }
}
