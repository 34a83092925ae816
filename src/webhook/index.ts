/** The shared webhook client: see docs/webhooks.md. */
export { createWebhookClient, type WebhookClientOptions } from './client.js';
export { agentOrigins, createWebhookAgent, type WebhookAgentOptions } from './agent.js';
export { signPayload, signatureHeaders, verifySignature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signature.js';
export { encodeForm, targetOf } from './encode.js';
export { retryDelay } from './notifier.js';
export type { RetryPolicy, WebhookClient, WebhookMethod, WebhookRequest, WebhookResponse } from './types.js';
