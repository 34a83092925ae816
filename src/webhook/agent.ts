/**
 * The one HTTP dispatcher of every webhook (routing, control mode, cti_bridge, event
 * notifications): an undici Agent, built once by the composition root (src/services.ts).
 * It keeps a connection pool per origin only while that origin has connections: a
 * connection idle for `idleMs` is closed, and an origin left without connections loses
 * its pool, so calling many distinct origins leaves nothing behind. Timeouts are per
 * request (src/webhook/client.ts), not per pool.
 */
import { Agent } from 'undici';

export interface WebhookAgentOptions {
  /** Connections per origin at most. Default 32. */
  connectionsPerOrigin?: number;
  /** An idle keep-alive connection is closed after this long (also caps the server's own hint). Default 4000. */
  idleMs?: number;
  /**
   * A TCP (+TLS) connect attempt is abandoned after this long, whatever the request that
   * caused it (each request gives up on its own after its connect + response timeout). Default 30000.
   */
  maxConnectMs?: number;
}

export const WEBHOOK_AGENT_DEFAULTS = { connectionsPerOrigin: 32, idleMs: 4000, maxConnectMs: 30_000 } as const;

export function createWebhookAgent(options: WebhookAgentOptions = {}): Agent {
  const idleMs = options.idleMs ?? WEBHOOK_AGENT_DEFAULTS.idleMs;
  return new Agent({
    connections: options.connectionsPerOrigin ?? WEBHOOK_AGENT_DEFAULTS.connectionsPerOrigin,
    keepAliveTimeout: idleMs,
    keepAliveMaxTimeout: idleMs,
    connect: { timeout: options.maxConnectMs ?? WEBHOOK_AGENT_DEFAULTS.maxConnectMs },
  });
}

/** How many origins have a pool right now (tests, the soak bench). */
export function agentOrigins(agent: Agent): number {
  return Object.keys(agent.stats).length;
}
