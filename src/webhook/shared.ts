/**
 * One webhook client per metrics registry, i.e. per service instance: every feature's
 * fastify plugin calls `sharedWebhookClient(deps.metrics.registry, deps.logger)` and gets
 * the same client (the pools and the metrics exist once). `closeSharedWebhookClient`
 * is idempotent; features call it from their `onClose` hook.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { createWebhookClient } from './client.js';
import type { WebhookClient } from './types.js';

const clients = new WeakMap<Registry, WebhookClient>();

export function sharedWebhookClient(registry: Registry, logger: Logger): WebhookClient {
  let client = clients.get(registry);
  if (client === undefined) {
    client = createWebhookClient({ registry, logger });
    clients.set(registry, client);
  }
  return client;
}

export async function closeSharedWebhookClient(registry: Registry): Promise<void> {
  const client = clients.get(registry);
  if (client === undefined) return;
  clients.delete(registry);
  await client.close();
}
