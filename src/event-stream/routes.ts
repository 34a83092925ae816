/**
 * `GET /api/v1/events` (WebSocket): the live stream of channel, registration and
 * background-job events for apps and dashboards (docs/call-control.md).
 *
 * Auth before the upgrade (a refused client gets a plain HTTP error, no socket): the
 * key in `?key=` (browsers cannot set headers on a WebSocket), `X-API-Key` or
 * `Authorization: Bearer`; the key needs `events` in its allow list (`*` covers it)
 * or must be an admin key. Filters: `events=`, `uuid=`, `extension=`. The stream is
 * one-way: messages from the client are ignored (small ones; big ones close it).
 */
import websocket from '@fastify/websocket';
import { z } from 'zod';
import { AccessGate, presentedKey, type Caller } from '../auth/access.js';
import { redactKeysInUrls } from '../auth/redact-url.js';
import { addKeySchemes, keySecurity } from '../cli-http/cli-openapi.js';
import type { AppPlugin } from '../http/route-deps.js';
import { errorResponse } from '../http/openapi.js';
import { parseFilter, type StreamFilter } from './filter.js';

const query = z.object({
  key: z.string().optional(),
  events: z.string().max(2000).optional(),
  uuid: z.string().optional(),
  extension: z.string().optional(),
});

declare module 'fastify' {
  interface FastifyRequest {
    eventStream?: { caller: Caller; filter: StreamFilter };
  }
}

export const eventStreamRoutes: AppPlugin = async (app, deps) => {
  const ctx = deps.services.cli;
  if (!app.hasDecorator('websocketServer')) await app.register(websocket, { options: { maxPayload: 4096 } });
  const hub = deps.services.events;
  redactKeysInUrls(app);
  describe(deps.openapi);

  app.get(
    '/api/v1/events',
    {
      websocket: true,
      preValidation: async (request) => {
        const startedAt = performance.now();
        const q = query.parse(request.query);
        let caller: Caller | undefined;
        try {
          caller = await ctx.gate.admit(presentedKey(request, q.key), request.ip, { cli: false });
          AccessGate.requireNames(caller, ['events']);
          request.eventStream = { caller, filter: parseFilter(q) };
          ctx.record(caller, { via: 'events', cmd: 'events', arg: q.events ?? '', node: undefined, status: 101, result: '+OK', startedAt });
        } catch (error) {
          const e = error as { status?: number; code?: string };
          ctx.record(caller ?? { ip: request.ip, keyId: '-' }, { via: 'events', cmd: 'events', arg: q.events ?? '', node: undefined, status: e.status ?? 500, result: e.code ?? 'FREECTI_ERR_INTERNAL', startedAt });
          throw error;
        }
      },
    },
    (socket, request) => {
      const admitted = request.eventStream;
      if (admitted === undefined) {
        socket.close(1008, 'not authenticated');
        return;
      }
      socket.on('error', () => undefined);
      hub.add(socket, admitted.filter, admitted.caller.entry.id);
    },
  );
};

function describe(openapi: Parameters<AppPlugin>[1]['openapi']): void {
  addKeySchemes(openapi);
  openapi.addTag('events', 'Live event stream (WebSocket)');
  openapi.addPath('/api/v1/events', 'get', {
    summary: 'WebSocket: live channel, registration and background-job events',
    description:
      'Upgrade to WebSocket. Each text frame is `{"node","event","subclass","uuid","timestamp","headers","body"?}`. ' +
      'Filters: `events` (comma-separated names or sofia::register/unregister/expire), `uuid`, `extension`. ' +
      'Needs `events` in the key allow list. A client that does not read fast enough is closed with 4008 "slow consumer".',
    operationId: 'eventStream',
    tags: ['events'],
    security: keySecurity,
    parameters: [
      { name: 'key', in: 'query', required: false, schema: { type: 'string' } },
      { name: 'events', in: 'query', required: false, schema: { type: 'string' }, example: 'CHANNEL_ANSWER,CHANNEL_HANGUP_COMPLETE,sofia::register' },
      { name: 'uuid', in: 'query', required: false, schema: { type: 'string' } },
      { name: 'extension', in: 'query', required: false, schema: { type: 'string' } },
    ],
    responses: {
      '101': { description: 'Switching protocols: the stream starts' },
      '400': errorResponse('Unknown event name or bad filter'),
      '401': errorResponse('Missing or wrong key'),
      '403': errorResponse('The key lacks `events`'),
    },
  });
}
