/**
 * The service's outbound event socket (config `eslOutbound`, default 127.0.0.1:8084):
 * FreeSWITCH's `socket` application connects here; only peers in `eslOutbound.allowFrom`,
 * at most `eslOutbound.maxSessions` at once. cti_bridge / cti_dial sessions are handled
 * by this feature (attach.ts), which asks only URLs under `bridge.allowedUrls`; other
 * features attach to `server` themselves (a session they do not recognise is not theirs). A port that cannot be bound is logged
 * and the service goes on without outbound sockets: HTTP and everything else still work.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import { OutboundServer } from '../esl/outbound-server.js';
import { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import { LinegroupResolver } from '../linegroups/resolver.js';
import type { Metrics } from '../metrics.js';
import { closeSharedWebhookClient, sharedWebhookClient } from '../webhook/shared.js';
import { AllowedUrls } from './allowed-urls.js';
import { attachBridge } from './attach.js';
import { FsPolicy } from '../fs-lang/policy.js';

export interface OutboundSockets {
  readonly server: OutboundServer;
  /** False when the port could not be bound. */
  readonly listening: boolean;
  stop(): Promise<void>;
}

export async function startOutboundSockets(deps: { config: Config; logger: Logger; redis: Redis; metrics: Metrics; policy?: FsPolicy }): Promise<OutboundSockets> {
  const { config, logger, redis, metrics } = deps;
  const policy = deps.policy ?? new FsPolicy(config.security);
  const server = new OutboundServer({
    host: config.eslOutbound.host,
    port: config.eslOutbound.port,
    commandTimeoutMs: config.freeswitch.commandTimeoutMs,
    connectTimeoutMs: config.freeswitch.connectTimeoutMs,
    allowFrom: config.eslOutbound.allowFrom,
    maxSessions: config.eslOutbound.maxSessions,
    lingerMs: config.eslOutbound.lingerMs,
    logger,
  });
  const webhooks = sharedWebhookClient(metrics.registry, logger);
  const resolver = new LinegroupResolver({ redis, keys: new Keys(config.redis.keyPrefix), logger, registry: metrics.registry });
  const detach = attachBridge(server, { webhooks, logger, resolver, registry: metrics.registry, allowedUrls: new AllowedUrls(config.bridge.allowedUrls), policy });
  let listening = false;
  try {
    await server.listen();
    listening = true;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    logger.error(
      { host: config.eslOutbound.host, port: config.eslOutbound.port, err: reason },
      `cannot listen for FreeSWITCH outbound sockets on ${config.eslOutbound.host}:${config.eslOutbound.port} (${reason}); cti_bridge calls will fail in FreeSWITCH's socket app`,
    );
  }
  return {
    server,
    listening,
    async stop() {
      detach();
      await server.close();
      await closeSharedWebhookClient(metrics.registry);
    },
  };
}
