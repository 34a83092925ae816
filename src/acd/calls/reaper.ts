/**
 * The ACD reaper: asks each FreeSWITCH node for its live channels (`show channels as
 * json`) and hands the uuids to engine.reconcileNode, which releases agents reserved or
 * in a call whose legs are gone and removes callers whose channel is gone. Runs on a timer
 * (every `intervalMs`; dispatch itself never polls) and right after a node (re)connects,
 * when events may have been lost. Offers the engine withdraws are killed on FreeSWITCH.
 */
import type { Logger } from '../../logger.js';
import type { FsNode, FsPool, NodeState } from '../../esl/types.js';
import type { FsPolicy } from '../../fs-lang/policy.js';
import { parseShowChannels } from '../../calls/show-channels.js';
import type { AcdApi } from '../types.js';
import type { AgentLegs } from './agent-legs.js';
import { checked } from './commands.js';

export interface AcdReaperDeps {
  engine: AcdApi;
  pool: FsPool;
  legs: AgentLegs;
  policy: FsPolicy;
  logger: Logger;
  /** Period of the sweep; 0 = only after (re)connects and `sweep()` calls. */
  intervalMs: number;
}

export interface ReapResult {
  node: string;
  channels: number;
  callers: number;
  agents: number;
  cancelled: number;
}

export class AcdReaper {
  private timer: NodeJS.Timeout | undefined;
  private readonly stops: (() => void)[] = [];
  private readonly log: Logger;
  private readonly running = new Map<string, Promise<ReapResult | undefined>>();

  constructor(private readonly deps: AcdReaperDeps) {
    this.log = deps.logger.child({ component: 'acd-reaper' });
  }

  start(): void {
    for (const node of this.deps.pool.nodes) {
      const onState = (state: NodeState): void => {
        if (state === 'ready') void this.reconcile(node);
      };
      node.on('state', onState);
      this.stops.push(() => node.off('state', onState));
    }
    if (this.deps.intervalMs > 0) {
      this.timer = setInterval(() => void this.sweep(), this.deps.intervalMs);
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
    for (const stop of this.stops.splice(0)) stop();
  }

  /** Every ready node once; resolves with what each reconcile did. */
  async sweep(): Promise<ReapResult[]> {
    const nodes = this.deps.pool.nodes.filter((node) => node.status.state === 'ready');
    const results = await Promise.all(nodes.map((node) => this.reconcile(node)));
    return results.filter((r): r is ReapResult => r !== undefined);
  }

  /** One node (one run at a time per node); undefined when the listing failed. */
  reconcile(node: FsNode): Promise<ReapResult | undefined> {
    const running = this.running.get(node.name);
    if (running !== undefined) return running;
    const run = this.run(node).finally(() => this.running.delete(node.name));
    this.running.set(node.name, run);
    return run;
  }

  private async run(node: FsNode): Promise<ReapResult | undefined> {
    const listedAt = Date.now();
    let uuids: Set<string>;
    try {
      const body = await node.api('show', checked(this.deps.policy, 'show', 'channels as json'));
      uuids = new Set(parseShowChannels(body).map((row) => row.uuid));
    } catch (error) {
      this.log.warn({ err: error, node: node.name }, 'acd reaper: cannot list the channels of the node; skipped this round');
      return undefined;
    }
    try {
      const result = await this.deps.engine.reconcileNode(node.name, uuids, listedAt);
      for (const cancel of result.cancelled) await this.deps.legs.cancel(cancel);
      await this.deps.legs.reconcile(node, uuids, listedAt);
      if (result.callers > 0 || result.agents > 0 || result.cancelled.length > 0) {
        this.log.info({ node: node.name, callers: result.callers, agents: result.agents, cancelled: result.cancelled.length }, 'acd reaper: released what FreeSWITCH no longer has');
      }
      return { node: node.name, channels: uuids.size, callers: result.callers, agents: result.agents, cancelled: result.cancelled.length };
    } catch (error) {
      this.log.error({ err: error, node: node.name }, 'acd reaper: reconcile failed');
      return undefined;
    }
  }
}
