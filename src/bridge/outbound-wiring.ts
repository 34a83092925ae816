/**
 * The service's outbound event socket (config `eslOutbound`, default 127.0.0.1:8084):
 * FreeSWITCH's `socket` application connects here; only peers in `eslOutbound.allowFrom`,
 * at most `eslOutbound.maxSessions` at once. cti_bridge / cti_dial sessions are handled
 * by this feature (attach.ts), which asks only URLs under `bridge.allowedUrls`, and
 * cti_curl sessions by src/cti-curl (URLs under `ctiCurl.allowedUrls`); other
 * features attach to `server` themselves (a session they do not recognise is not theirs). A port that cannot be bound is logged
 * and the service goes on without outbound sockets: HTTP and everything else still work.
 */
import type { Config } from '../config/schema.js';
import { OutboundServer } from '../esl/outbound-server.js';
import type { Logger } from '../logger.js';
import type { LinegroupResolver } from '../linegroups/resolver.js';
import type { Metrics } from '../metrics.js';
import type { WebhookClient } from '../webhook/types.js';
import { AllowedUrls } from './allowed-urls.js';
import { attachBridge } from './attach.js';
import { attachCurl } from '../cti-curl/attach.js';
import type { FsPolicy } from '../fs-lang/policy.js';
import type { DidOutLookup } from '../nacd/did-out.js';

export interface OutboundSockets {
  readonly server: OutboundServer;
  /** False when the port could not be bound. */
  readonly listening: boolean;
  stop(): Promise<void>;
}

export interface OutboundSocketDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  policy: FsPolicy;
  /** The service's webhook client and line-group resolver (src/services.ts); closed by their owner. */
  webhooks: WebhookClient;
  resolver: LinegroupResolver;
  /** The nacd DID-out table (cti_bridge / cti_dial dial out with the calling extension's entry, src/bridge/did-out-plan.ts). */
  didOut?: DidOutLookup;
}

export async function startOutboundSockets(deps: OutboundSocketDeps): Promise<OutboundSockets> {
  const { config, logger, metrics, policy, webhooks, resolver } = deps;
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
  const bridgeDeps = {
    webhooks,
    logger,
    resolver,
    registry: metrics.registry,
    allowedUrls: new AllowedUrls(config.bridge.allowedUrls),
    policy,
    ...(deps.didOut === undefined ? {} : { didOut: deps.didOut }),
  };
  // cti_curl first: its session may carry a cti_bridge left on the channel by an earlier bridge (src/cti-curl/attach.ts).
  const detachCurl = attachCurl(server, { ...bridgeDeps, curl: config.ctiCurl });
  const detachBridge = attachBridge(server, bridgeDeps);
  const detach = (): void => {
    detachCurl();
    detachBridge();
  };
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
    },
  };
}
