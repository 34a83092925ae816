/**
 * Keeps keys out of logs: the seed puts the key in the URL (`/cli?key=...`), and the
 * app's error handler and request logs print `request.url`. Our plugins read what
 * they need first, then replace every `key=` value in the raw URL with `[redacted]`
 * (an onRequest hook; fastify's `request.url` reads the raw URL). `request.query`
 * was parsed before, so routes still see the key there.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

export function redactKey(url: string): string {
  return url.replace(/([?&]key=)[^&#]*/gi, '$1[redacted]');
}

/** Adds the hook to `app` (encapsulated: only this plugin's routes); `before` reads the URL first. */
export function redactKeysInUrls(app: FastifyInstance, before?: (request: FastifyRequest, rawUrl: string) => void): void {
  app.addHook('onRequest', async (request) => {
    const raw = request.raw.url ?? '';
    before?.(request, raw);
    if (/[?&]key=/i.test(raw)) request.raw.url = redactKey(raw);
  });
}
