/**
 * Runs one validated, authorised /cli call on a node (cli-route.ts checks it first).
 *
 * No command blocks the node's event-socket connection: a command known to answer at
 * once runs as `api`, any other (originate first of all) as `bgapi`, freecti waiting for
 * its BACKGROUND_JOB and answering its body, the very text `api` would have answered
 * (src/esl/slow-commands.ts). The wait is bounded by the command's own timeout; past it
 * the caller gets 504 ESL_TIMEOUT with `details.jobUuid`.
 *
 * Line slots a `cti_originate` took are given back on every path: at once when the
 * originate fails, throws or times out; when the call is gone when it is up
 * (src/originate/line-hold.ts).
 */
import { FreectiError } from '../errors.js';
import { jobWaitMs, runCommandText } from '../esl/slow-commands.js';
import { settleLines, settleLinesOfJob, type LineHoldOptions } from '../originate/line-hold.js';
import { translateCtiOriginate } from '../originate/translate.js';
import type { CliContext } from './context.js';
import { NACD_COMMAND_NAMES } from '../nacd/commands.js';

export { isFsError } from '../originate/line-hold.js';

const COMMAND = /^[A-Za-z0-9_]{1,64}$/;

export interface CliCall {
  cmd: string;
  arg: string;
  node: string | undefined;
}

export interface CliRunOptions extends LineHoldOptions {
  /** Wait for a slow command with no timeout of its own (not originate), ms. */
  otherWaitMs?: number;
  /** freecti's version (nacd_version). */
  version?: string;
}

/** Default wait of a slow command with no timeout of its own (config cli.slowCommandWaitMs). */
export const DEFAULT_OTHER_WAIT_MS = 60_000;

/** Runs a validated, authorised call on a node; returns the exact text to answer. */
export async function runCliCall(ctx: Pick<CliContext, 'node' | 'dialLinegroup'> & Partial<Pick<CliContext, 'nacd'>>, call: CliCall, options: CliRunOptions = {}): Promise<{ text: string; node: string }> {
  const lower = call.cmd.toLowerCase();
  if (NACD_COMMAND_NAMES.includes(lower)) {
    if (ctx.nacd === undefined) throw new FreectiError('BAD_REQUEST', `${lower}: the nacd commands are not set up here`);
    // Run by freecti (src/nacd/commands.ts): the node is needed only by those that reach a call.
    let used: string | undefined;
    const text = await ctx.nacd.run(lower, call.arg, () => {
      const n = ctx.node(call.node);
      used = n.name;
      return n;
    }, options.version ?? '');
    return { text, node: used ?? call.node ?? '-' };
  }
  const node = ctx.node(call.node);
  const otherWaitMs = options.otherWaitMs ?? DEFAULT_OTHER_WAIT_MS;
  let command = call.cmd.toLowerCase();
  let arg = call.arg;
  const background = command === 'bgapi';
  if (background) {
    const space = arg.search(/\s/);
    command = (space < 0 ? arg : arg.slice(0, space)).toLowerCase();
    arg = space < 0 ? '' : arg.slice(space + 1).trim();
    if (!COMMAND.test(command)) throw new FreectiError('BAD_REQUEST', 'bgapi needs a command name as the first word of arg');
    if (NACD_COMMAND_NAMES.includes(command)) throw new FreectiError('BAD_REQUEST', `${command} runs inside freecti (no job): send it without bgapi`);
  }
  let release: ((cause: string) => Promise<void>) | undefined;
  if (command === 'cti_originate' || command === 'noriginate') {
    if (command === 'noriginate' && ctx.nacd === undefined) throw new FreectiError('BAD_REQUEST', 'noriginate: the nacd commands are not set up here');
    const translated = await translateCtiOriginate(arg, ctx.dialLinegroup, command === 'noriginate' ? ctx.nacd?.nout : undefined);
    command = 'originate';
    arg = translated.args;
    release = (cause) => translated.releaseAll(cause);
  }
  try {
    if (background) {
      const job = await node.bgapi(command, arg);
      if (release !== undefined) settleLinesOfJob(node, job.wait({ timeoutMs: jobWaitMs(command, arg, otherWaitMs) }), release, options);
      return { text: `+OK Job-UUID: ${job.jobUuid}\n`, node: node.name };
    }
    const { text } = await runCommandText(node, command, arg, { otherWaitMs });
    if (release !== undefined) await settleLines(node, text, release, options).catch(() => undefined);
    return { text, node: node.name };
  } catch (error) {
    // Refused, disconnected or timed out (504 names the job): the lines go back now; a
    // call FreeSWITCH still starts afterwards gives its line back on hangup (lease reaper).
    await release?.('ORIGINATOR_CANCEL').catch(() => undefined);
    throw error;
  }
}
