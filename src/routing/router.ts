/**
 * HTTP call routing (seed 000, docs/routing.md): turns one mod_xml_curl dialplan
 * request into the dialplan document FreeSWITCH runs.
 *
 * - no route for the hunted context and number: "not found" (FreeSWITCH uses its static XML);
 * - route found: ask its URL; a valid action list becomes the document;
 * - any failure (timeout, refused, non-2xx, not JSON, empty list, an action the
 *   allow-list policy refuses, src/fs-lang/policy.ts):
 *   the route's fallback actions, and one log line with the call uuid and the reason.
 */
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import type { FreectiError } from '../errors.js';
import type { WebhookClient, WebhookRequest } from '../webhook/types.js';
import { NOT_FOUND_DOCUMENT } from '../xml-curl/xml.js';
import { controlActions, needsSocket, withLinegroupBridges } from './control-dialplan.js';
import { dialplanDocument } from './dialplan-xml.js';
import { actionRefusal, parseActions } from './reply.js';
import type { Route } from './route-schema.js';
import { matchRoute, type RouteStore } from './route-store.js';
import { expandTemplate } from './template.js';
import { FsPolicy, type Scope } from '../fs-lang/policy.js';
import { allFields, huntTarget, lookupVariable, type Fields } from './variables.js';
import { CALLER_FIELD, withDidOutBridges } from './did-out.js';
import type { DidOutLookup } from '../nacd/did-out.js';

export interface RouterDeps {
  store: RouteStore;
  webhooks: WebhookClient;
  logger: Logger;
  registry?: Registry;
  /** The context of calls from outside: its routes may not reach outbound lines unless `allowOutbound`. */
  publicContext?: string;
  /** `host:port` of freecti's outbound event socket, for `mode: control` routes. */
  controlSocket?: string;
  /** What a reply may make FreeSWITCH run (config `security`); none: the defaults. */
  policy?: FsPolicy;
  /** The nacd DID-out table: a reply's `bridge` that leaves shows the caller's DID (did-out.ts); none: not applied. */
  didOut?: DidOutLookup;
}

/**
 * The toll-fraud rule for a route's own fallback: in the public context it never leaves
 * the context, whatever `allowOutbound` says. The reason, or undefined.
 */
export function fallbackRefusal(route: Route, publicContext: string | undefined, policy: FsPolicy): string | undefined {
  if (route.context !== publicContext) return undefined;
  for (const action of route.fallback) {
    const why = actionRefusal(policy, { outbound: false, context: route.context }, action.application, action.data);
    if (why !== undefined) return why;
  }
  return undefined;
}

/** The policy scope of a reply for a call in `context`: the public context stays internal unless the route allows outbound. */
export function replyScope(route: Route, context: string, publicContext: string | undefined): Scope {
  return { outbound: context !== publicContext || route.allowOutbound, context };
}

export type RoutingOutcome = 'routed' | 'fallback' | 'not_found';

export interface DialplanRouter {
  /** The XML document for one dialplan request (never throws). */
  route(fields: Fields): Promise<string>;
}

export function createDialplanRouter(deps: RouterDeps): DialplanRouter {
  const log = deps.logger.child({ component: 'routing' });
  const policy = deps.policy ?? new FsPolicy();
  const outcomes = (deps.registry?.getSingleMetric('freecti_routing_requests_total') as Counter | undefined) ?? new Counter({
    name: 'freecti_routing_requests_total',
    help: 'Dialplan requests by outcome: routed (webhook actions), fallback (route fallback actions), not_found (static XML).',
    labelNames: ['outcome'],
    registers: deps.registry === undefined ? [] : [deps.registry],
  });

  const fallback = (route: Route, context: string, uuid: string, reason: string, code: string): string => {
    outcomes.inc({ outcome: 'fallback' });
    log.warn({ uuid, route: route.id, context, code, reason }, `call ${uuid}: route '${route.id}' failed (${reason}); serving its fallback actions`);
    // A fallback's cti_bridge / linegroup bridge runs on the outbound socket too (control-dialplan.ts).
    return dialplanDocument(context, deps.controlSocket === undefined ? route.fallback : withLinegroupBridges(route.fallback, deps.controlSocket));
  };

  return {
    async route(fields) {
      const { context, destination, uuid } = huntTarget(fields);
      let route: Route | undefined;
      try {
        route = matchRoute(await deps.store.table(), context, destination);
      } catch (error) {
        outcomes.inc({ outcome: 'not_found' });
        log.error({ uuid, context, reason: (error as Error).message }, `call ${uuid}: route table unavailable; answered not found (static XML)`);
        return NOT_FOUND_DOCUMENT;
      }
      if (route === undefined) {
        outcomes.inc({ outcome: 'not_found' });
        log.debug({ uuid, context, destination }, 'no route; answered not found');
        return NOT_FOUND_DOCUMENT;
      }
      if (route.mode === 'control') {
        if (deps.controlSocket === undefined) return fallback(route, context, uuid, 'control mode needs the outbound event socket', 'FREECTI_ERR_ESL_NOT_CONNECTED');
        outcomes.inc({ outcome: 'routed' });
        return dialplanDocument(context, controlActions(route, deps.controlSocket));
      }
      let data: unknown;
      try {
        ({ data } = await deps.webhooks.requestJson(webhookRequest(route, fields, uuid)));
      } catch (error) {
        const failure = error as FreectiError;
        return fallback(route, context, uuid, String(failure.details?.['reason'] ?? failure.message), failure.code);
      }
      const scope = replyScope(route, context, deps.publicContext);
      const parsed = parseActions(data, policy, scope);
      if (!parsed.ok) return fallback(route, context, uuid, parsed.reason, 'FREECTI_ERR_WEBHOOK_BAD_REPLY');
      outcomes.inc({ outcome: 'routed' });
      if (deps.controlSocket === undefined && parsed.actions.some(needsSocket)) {
        return fallback(route, context, uuid, 'cti_bridge, linegroup/ bridges and queue need the outbound event socket', 'FREECTI_ERR_ESL_NOT_CONNECTED');
      }
      // A bridge that leaves shows the caller's DID-out caller id (the table is read only for such a reply).
      const withDid = await withDidOutBridges(parsed.actions, { caller: lookupVariable(fields, CALLER_FIELD), lookup: deps.didOut, policy, scope, log, uuid });
      const actions = deps.controlSocket === undefined ? withDid : withLinegroupBridges(withDid, deps.controlSocket);
      return dialplanDocument(context, actions);
    },
  };
}

/** The request made for one call: the URL template expanded; POST carries every field. */
export function webhookRequest(route: Route, fields: Fields, uuid: string): WebhookRequest {
  const request: WebhookRequest = {
    url: expandTemplate(route.url, fields),
    method: route.method,
    connectTimeoutMs: route.connectTimeoutMs,
    responseTimeoutMs: route.responseTimeoutMs,
    ...(uuid === '' ? {} : { requestId: uuid }),
    ...(route.secret === undefined ? {} : { secret: route.secret }),
  };
  if (route.method === 'POST') {
    const all = Object.fromEntries(allFields(fields));
    if (route.body === 'json') request.json = all;
    else request.form = all;
  }
  return request;
}
