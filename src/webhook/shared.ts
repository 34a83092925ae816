/**
 * One webhook client per metrics registry, i.e. per service instance: every feature
 * calls `sharedWebhookClient(deps.metrics.registry, deps.logger)` and gets the same
 * client (the pools and the metrics exist once). Each call takes a reference;
 * `closeSharedWebhookClient` gives one back, and the client really closes when the last
 * user has given its reference back, so one feature stopping first (the HTTP app during
 * shutdown) does not cut the requests of another (outbound-socket calls).
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { createWebhookClient } from './client.js';
import type { WebhookClient } from './types.js';

const clients = new WeakMap<Registry, { client: WebhookClient; users: number }>();

export function sharedWebhookClient(registry: Registry, logger: Logger): WebhookClient {
  let entry = clients.get(registry);
  if (entry === undefined) {
    entry = { client: createWebhookClient({ registry, logger }), users: 0 };
    clients.set(registry, entry);
  }
  entry.users += 1;
  return entry.client;
}

export async function closeSharedWebhookClient(registry: Registry): Promise<void> {
  const entry = clients.get(registry);
  if (entry === undefined) return;
  entry.users -= 1;
  if (entry.users > 0) return;
  clients.delete(registry);
  await entry.client.close();
}
