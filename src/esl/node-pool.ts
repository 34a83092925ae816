/**
 * Every configured FreeSWITCH node, one inbound client each. `get(name)` picks a node
 * by name, `get()` the first ready one. State changes of all nodes can be observed in
 * one place (`onState`) for logs and metrics; NodeStatus stays the source of truth.
 */
import type { Config } from '../config/schema.js';
import { FreectiError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EslEvent } from './event.js';
import { createInboundClient, type InboundClient } from './inbound-client.js';
import type { FsNode, FsPool, NodeState, NodeStatus } from './types.js';

export type NodeStateListener = (node: FsNode, state: NodeState, status: NodeStatus) => void;
export type NodeEventListener = (node: FsNode, event: EslEvent) => void;

export interface NodePool extends FsPool {
  readonly nodes: readonly InboundClient[];
  /** Calls `listener` on every state change of any node; returns a function that stops it. */
  onState(listener: NodeStateListener): () => void;
  /** Calls `listener` with every event of any node; returns a function that stops it. */
  onEvent(listener: NodeEventListener): () => void;
}

export function createNodePool(config: Config, logger: Logger): NodePool {
  const fs = config.freeswitch;
  const seen = new Set<string>();
  for (const [index, node] of fs.nodes.entries()) {
    if (seen.has(node.name)) {
      throw new FreectiError('CONFIG_INVALID', `config freeswitch.nodes[${index}].name: '${node.name}' is used by another node`);
    }
    seen.add(node.name);
  }
  const nodes = fs.nodes.map((node) =>
    createInboundClient({
      name: node.name,
      host: node.host,
      port: node.port,
      password: node.password,
      eventFormat: fs.eventFormat,
      commandTimeoutMs: fs.commandTimeoutMs,
      connectTimeoutMs: fs.connectTimeoutMs,
      reconnect: fs.reconnect,
      heartbeatIntervalMs: fs.heartbeatIntervalMs,
      logger,
    }),
  );
  const byName = new Map(nodes.map((node) => [node.name, node]));

  const subscribe = <A extends unknown[]>(event: 'state' | 'event', wrap: (node: InboundClient) => (...args: A) => void): (() => void) => {
    const handlers = nodes.map((node) => {
      const handler = wrap(node);
      node.on(event, handler as never);
      return () => node.off(event, handler as never);
    });
    return () => handlers.forEach((off) => off());
  };

  return {
    nodes,
    get(name?: string): FsNode {
      if (name !== undefined) {
        const node = byName.get(name);
        if (node === undefined) throw new FreectiError('NODE_UNKNOWN', `no FreeSWITCH node named '${name}' (known: ${[...byName.keys()].join(', ')})`);
        return node;
      }
      const ready = nodes.find((node) => node.status.state === 'ready');
      if (ready === undefined) {
        const states = nodes.map((node) => `${node.name}=${node.status.state}`).join(', ');
        throw new FreectiError('ESL_NOT_CONNECTED', `no FreeSWITCH node is connected (${states})`);
      }
      return ready;
    },
    statuses: () => nodes.map((node) => node.status),
    onState: (listener) => subscribe('state', (node) => (state: NodeState, status: NodeStatus) => listener(node, state, status)),
    onEvent: (listener) => subscribe('event', (node) => (event: EslEvent) => listener(node, event)),
    async close(): Promise<void> {
      await Promise.all(nodes.map((node) => node.close()));
    },
  };
}
