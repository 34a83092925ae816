/**
 * Runs the nacd api commands freecti implements itself (docs/nacd.md "Commands"), after
 * the key's policy check (src/fs-lang/commands.ts, which parses them with
 * src/fs-lang/nacd-commands.ts):
 *
 * - `nacd_version`: freecti's version;
 * - `nacd_max`: a line's cps / concurrency limits, read and changed at run time in the
 *   line group stored in Redis (the resolver reads it at every call, so a change holds
 *   for the next call on every instance);
 * - `nacd`: agent and queue status and control over the ACD engine;
 * - `nway_uuid_hold` / `nway_uuid_unhold` / `nway_uuid_transfer`: `uuid_hold` /
 *   `uuid_transfer` on the node, with the ACD's bookkeeping: a transferred call that
 *   waits in an ACD queue leaves it (reason `transfer`), one an agent talks to ends
 *   for the agent (wrap-up). A held call stays the agent's call: the ACD keeps no hold state;
 * - `nway_threeway`: a third party joins a live call (`originate ... &three_way(<uuid>)`).
 *
 * Answers are text like FreeSWITCH's: JSON for status and lists, `+OK ...\n` for a
 * change, `-ERR ...\n` for an agent, queue or line that does not exist.
 */
import type { AcdEngine } from '../acd/engine.js';
import type { FsNode } from '../esl/types.js';
import { runCommandText } from '../esl/slow-commands.js';
import { nacdFsCommand, parseNacdCommand, type NacdCommand } from '../fs-lang/nacd-commands.js';
import type { LinegroupStore } from '../linegroups/store.js';
import { FreectiError } from '../errors.js';
import { FsSyntaxError } from '../fs-lang/scan.js';
import type { DidOutStore } from './did-store.js';
import type { FsPolicy } from '../fs-lang/policy.js';
import { socketHandoff } from '../fs-lang/handoff.js';
import { PolicyRefusal } from '../fs-lang/refusal.js';
import { noLinegroups, translateCtiOriginate, type LinegroupDialer, type NoutLookup } from '../originate/translate.js';
import { settleLines } from '../originate/line-hold.js';
import { didOutDialString } from './did-out-dial.js';

export { NACD_COMMAND_NAMES } from '../fs-lang/nacd-commands.js';

export type NacdAcd = Pick<AcdEngine, 'listAgents' | 'agentStatus' | 'getAgent' | 'setAgentState' | 'listQueues' | 'getQueue' | 'callers' | 'tiers' | 'callerLeft' | 'callEnded'>;

export interface NacdCommandDeps {
  acd: NacdAcd;
  linegroups: Pick<LinegroupStore, 'get' | 'list' | 'update'>;
  /** The DID-out table (noriginate's `nout/<extension>/<number>` legs). */
  didOut: Pick<DidOutStore, 'find'>;
  /** Checks nacd_transfer's hand-off (FsPolicy.socketTransfer) and nway_threeway's originate (threeWayOriginate). */
  policy: Pick<FsPolicy, 'socketTransfer' | 'threeWayOriginate'>;
  /** Picks and holds a line of a group (nway_threeway's line-group legs); none: they are refused. */
  dialLinegroup?: LinegroupDialer;
  /** freecti's outbound socket, `host:port` (nacd_transfer hands calls to it). */
  socket: string;
}

const json = (value: unknown): string => JSON.stringify(value);

export class NacdCommands {
  constructor(private readonly deps: NacdCommandDeps) {}

  /** noriginate's DID-out lookup (src/originate/translate.ts). */
  readonly nout: NoutLookup = async (extension) => this.deps.didOut.find(extension);

  /** Parses (the policy has checked the same text) and runs one command; the text to answer. */
  async run(command: string, args: string, node: () => FsNode, version: string): Promise<string> {
    let parsed: NacdCommand;
    try {
      parsed = parseNacdCommand(command, args);
    } catch (error) {
      throw new FreectiError('BAD_REQUEST', (error as Error).message);
    }
    return this.execute(parsed, node, version);
  }

  /**
   * Runs one parsed command (the policy has checked its text): /cli through `run`, the
   * typed REST routes (command-routes.ts) with the command they built. The text to answer.
   */
  async execute(parsed: NacdCommand, node: () => FsNode, version: string): Promise<string> {
    switch (parsed.name) {
      case 'nacd_version':
        return `freecti ${version} (nacd commands: nacd nacd_max nacd_transfer nacd_version noriginate nway_threeway nway_uuid_hold nway_uuid_unhold nway_uuid_transfer)\n`;
      case 'nway_threeway':
        return this.threeWay(parsed, node());
      case 'nacd_max':
        return this.max(parsed);
      case 'nacd':
        return this.nacd(parsed);
      case 'nacd_transfer': {
        let args: string;
        try {
          args = this.deps.policy.socketTransfer(parsed.uuid, socketHandoff(parsed.group, this.deps.socket));
        } catch (error) {
          if (error instanceof PolicyRefusal || error instanceof FsSyntaxError) throw new FreectiError('BAD_REQUEST', `nacd_transfer: ${error.message}`);
          throw error;
        }
        const { text } = await runCommandText(node(), 'uuid_transfer', args, { otherWaitMs: 60_000 });
        if (text.startsWith('+OK')) await this.transferred(parsed.uuid);
        return text;
      }
      case 'nway_uuid_hold':
      case 'nway_uuid_transfer': {
        const fs = nacdFsCommand(parsed);
        const { text } = await runCommandText(node(), fs.command, fs.args, { otherWaitMs: 60_000 });
        if (parsed.name === 'nway_uuid_transfer' && text.startsWith('+OK')) await this.transferred(parsed.uuid);
        return text;
      }
    }
  }

  /**
   * nway_threeway <uuid> <dial string> (docs/nacd.md "nway_threeway"): the call must live on
   * the node (`uuid_exists`); its `caller_id_number` is the extension whose DID-out the
   * target's external legs show (nbridge's rules, did-out-dial.ts); then
   * `originate <dial string> &three_way(<uuid>)` (policy.threeWayOriginate), line-group legs
   * resolved and held like cti_originate's. FreeSWITCH's answer is the reply.
   */
  private async threeWay(parsed: Extract<NacdCommand, { name: 'nway_threeway' }>, fs: FsNode): Promise<string> {
    const exists = (await runCommandText(fs, 'uuid_exists', parsed.uuid, { otherWaitMs: 10_000 })).text.trim();
    if (exists !== 'true') return `-ERR no call '${parsed.uuid}'\n`;
    const caller = (await runCommandText(fs, 'uuid_getvar', `${parsed.uuid} caller_id_number`, { otherWaitMs: 10_000 })).text.trim();
    let args: string;
    try {
      const dial = await didOutDialString(parsed.target, caller === '_undef_' ? '' : caller, this.nout);
      args = this.deps.policy.threeWayOriginate(parsed.uuid, dial);
    } catch (error) {
      if (error instanceof PolicyRefusal || error instanceof FsSyntaxError || (error instanceof FreectiError && error.code === 'FREECTI_ERR_BAD_REQUEST')) {
        throw new FreectiError('BAD_REQUEST', `nway_threeway: ${error.message}`);
      }
      throw error;
    }
    const translated = await translateCtiOriginate(args, this.deps.dialLinegroup ?? noLinegroups);
    try {
      const { text } = await runCommandText(fs, 'originate', translated.args, { otherWaitMs: 60_000 });
      await settleLines(fs, text, (cause) => translated.releaseAll(cause)).catch(() => undefined);
      return text;
    } catch (error) {
      await translated.releaseAll('ORIGINATOR_CANCEL').catch(() => undefined);
      throw error;
    }
  }

  /** The ACD's bookkeeping of a call transferred away (both no-ops for a call the ACD does not know). */
  private async transferred(uuid: string): Promise<void> {
    const left = await this.deps.acd.callerLeft(uuid, 'transfer');
    if (!left.found) await this.deps.acd.callEnded(uuid, 'agent');
  }

  private async max(parsed: Extract<NacdCommand, { name: 'nacd_max' }>): Promise<string> {
    const row = (group: string, line: { id: string; cps?: number | undefined; maxConcurrent?: number | undefined }): Record<string, unknown> => ({
      group,
      line: line.id,
      cps: line.cps ?? null,
      concurrency: line.maxConcurrent ?? null,
    });
    if (parsed.line === undefined) {
      const { groups } = await this.deps.linegroups.list();
      return json({ lines: Object.entries(groups).flatMap(([name, g]) => g.lines.map((l) => row(name, l))) });
    }
    const { group, line } = parsed.line;
    const set = parsed.set;
    if (set === undefined) {
      const found = (await this.found(group))?.lines.find((l) => l.id === line);
      return found === undefined ? `-ERR no line '${line}' in group '${group}'\n` : json(row(group, found));
    }
    if ((await this.found(group))?.lines.some((l) => l.id === line) !== true) return `-ERR no line '${line}' in group '${group}'\n`;
    const field = set.limit === 'cps' ? 'cps' : 'maxConcurrent';
    const updated = await this.deps.linegroups.update(group, (current) => ({
      ...current,
      lines: current.lines.map((l) => {
        if (l.id !== line) return l;
        const { [field]: _old, ...rest } = l;
        return set.value === null ? rest : { ...rest, [field]: set.value };
      }),
    }));
    const now = updated.lines.find((l) => l.id === line);
    return `+OK ${json(now === undefined ? null : row(group, now))}\n`;
  }

  private async found(group: string): Promise<Awaited<ReturnType<LinegroupStore['get']>> | undefined> {
    try {
      return await this.deps.linegroups.get(group);
    } catch (error) {
      if (error instanceof FreectiError && error.code === 'FREECTI_ERR_LINEGROUP_NOT_FOUND') return undefined;
      throw error;
    }
  }

  private async nacd(parsed: Extract<NacdCommand, { name: 'nacd' }>): Promise<string> {
    const acd = this.deps.acd;
    switch (parsed.what) {
      case 'agent-list':
        return json({ agents: (await acd.listAgents()).map(({ config, status }) => ({ id: config.id, status })) });
      case 'agent-status': {
        if ((await acd.getAgent(parsed.id)) === null) return `-ERR no agent '${parsed.id}'\n`;
        return json(await acd.agentStatus(parsed.id));
      }
      case 'agent-login':
      case 'agent-logout':
      case 'agent-break': {
        if ((await acd.getAgent(parsed.id)) === null) return `-ERR no agent '${parsed.id}'\n`;
        const state = parsed.what === 'agent-login' ? 'available' : parsed.what === 'agent-logout' ? 'logged-out' : 'on-break';
        const status = await acd.setAgentState(parsed.id, state, parsed.what === 'agent-break' ? parsed.reason : '');
        return `+OK ${parsed.id} ${status.state}\n`;
      }
      case 'queue-list':
        return json({ queues: (await acd.listQueues()).map((q) => q.name) });
      case 'queue-status': {
        const queue = await acd.getQueue(parsed.id);
        if (queue === null) return `-ERR no queue '${parsed.id}'\n`;
        const [callers, tiers] = await Promise.all([acd.callers(parsed.id), acd.tiers(parsed.id)]);
        return json({ queue: queue.name, strategy: queue.strategy, waiting: callers.length, callers, tiers });
      }
    }
  }
}
