/**
 * Wires control-mode routes to freecti's outbound event-socket server: every session
 * whose channel carries `freecti_route` (set by the served dialplan) is driven by
 * control-session.ts with that route. Sessions without it belong to other features.
 *
 *     attachControlMode(outboundServer, { store, webhooks, logger, publicContext });
 */
import type { Config } from '../config/schema.js';
import type { OutboundServer } from '../esl/outbound-server.js';
import type { Logger } from '../logger.js';
import type { WebhookClient } from '../webhook/types.js';
import type { OutboundSession } from '../esl/outbound-session.js';
import { ROUTE_VARIABLE } from './control-dialplan.js';
import { runControlSession, type ControlDeps } from './control-session.js';
import type { RouteStore } from './route-store.js';
import type { FsPolicy } from '../fs-lang/policy.js';
import type { Registry } from 'prom-client';
import { AllowedUrls } from '../bridge/allowed-urls.js';
import type { LinegroupResolver } from '../linegroups/resolver.js';

export interface ControlModeDeps extends ControlDeps {
  store: RouteStore;
}

/** Starts taking control-mode sessions; returns a function that stops taking new ones. */
export function attachControlMode(server: Pick<OutboundServer, 'on' | 'off'>, deps: ControlModeDeps): () => void {
  const log = deps.logger.child({ component: 'routing-control' });
  const onSession = (session: OutboundSession): void => {
    const id = session.variable(ROUTE_VARIABLE);
    if (id === undefined || id === '' || !session.claim('routing-control')) return;
    void (async () => {
      const route = await deps.store.get(id).catch((error: unknown) => {
        log.warn({ uuid: session.uuid, route: id, reason: (error as Error).message }, `call ${session.uuid}: control route '${id}' unreadable; FreeSWITCH runs the fallback actions`);
        return null;
      });
      if (route === null) return void (await session.close());
      if (route === undefined || route.mode !== 'control') {
        log.warn({ uuid: session.uuid, route: id }, `call ${session.uuid}: no control route '${id}' any more; FreeSWITCH runs the fallback actions`);
        return void (await session.close());
      }
      await runControlSession(session, route, deps);
    })().catch((error: unknown) => log.error({ err: error, uuid: session.uuid }, 'control session crashed'));
  };
  server.on('session', onSession);
  return () => void server.off('session', onSession);
}

/**
 * The one call service.ts needs once it runs the outbound server, with the service's
 * route store and webhook client (src/services.ts); the returned function (called at
 * shutdown) stops taking sessions:
 *
 *     const release = attachRoutingControl(outboundServer, { config, logger, store, webhooks, policy, resolver });
 */
export function attachRoutingControl(
  server: Pick<OutboundServer, 'on' | 'off'>,
  deps: { config: Config; logger: Logger; store: RouteStore; webhooks: WebhookClient; policy: FsPolicy; resolver: LinegroupResolver; registry?: Registry; queue?: ControlDeps['queue']; nacd?: ControlDeps['nacd']; didOut?: ControlDeps['didOut'] },
): () => void {
  const { config, logger, store, webhooks, policy, resolver, registry, queue, nacd, didOut } = deps;
  // cti_bridge and linegroup/ bridges of a reply run on the session (runBridge): the service's line groups and allowed URLs.
  const bridge = {
    resolver,
    allowedUrls: new AllowedUrls(config.bridge.allowedUrls),
    ...(registry === undefined ? {} : { registry }),
    ...(didOut === undefined ? {} : { didOut }),
  };
  return attachControlMode(server, { store, webhooks, logger, publicContext: config.fsConfig.publicContext, policy, ...bridge, ...(queue === undefined ? {} : { queue }), ...(nacd === undefined ? {} : { nacd }) });
}
