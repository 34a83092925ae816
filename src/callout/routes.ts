/**
 * The nwaycallout API (admin key), docs/nacd.md "nwaycallout":
 *   POST   /api/v1/nacd/callouts              start a campaign (201, the campaign)
 *   GET    /api/v1/nacd/callouts/:id          its state, counts and a page of outcomes (?cursor=&limit=; any instance)
 *   POST   /api/v1/nacd/callouts/:id/numbers  append numbers while it runs (200 {total, appended})
 *   DELETE /api/v1/nacd/callouts/:id          stop it (202, the state when asked; GET shows `stopped` once done)
 * The two POSTs take bodies up to CALLOUT_BODY_LIMIT (100,000 numbers), the rest the app's 1 MiB.
 * The service comes from the composition root (deps.services.callouts).
 */
import { z } from 'zod';
import { ADMIN_SECURITY_SCHEME, adminKeyHook } from '../auth/admin-auth.js';
import { errorResponse, type OpenApi } from '../http/openapi.js';
import type { AppPlugin } from '../http/route-deps.js';
import { assertRedisReady } from '../redis.js';
import { CALLOUT_BODY_LIMIT, calloutAppendSchema, calloutRequestSchema, MAX_NUMBERS_PER_CAMPAIGN, MAX_NUMBERS_PER_REQUEST } from './schema.js';

const idOf = (params: unknown): string => (params as { id?: string }).id ?? '';

const resultSchema = {
  type: 'object',
  properties: {
    number: { type: 'string' },
    outcome: { type: 'string', enum: ['answered', 'busy', 'no-answer', 'failed', 'cancelled'] },
    cause: { type: 'string', description: 'The FreeSWITCH cause of a failed call (RUNNER_LOST: its runner died while it rang)' },
    uuid: { type: 'string' },
    dialledAt: { type: 'number', description: 'ms epoch' },
    at: { type: 'number', description: 'ms epoch' },
  },
  required: ['number', 'outcome', 'uuid', 'at'],
};

function documentCalloutApi(openapi: OpenApi): void {
  const { $schema: _drop, ...input } = z.toJSONSchema(calloutRequestSchema, { io: 'input' }) as Record<string, unknown>;
  const request = openapi.addSchema('NacdCalloutRequest', input);
  const { $schema: _drop2, ...appendInput } = z.toJSONSchema(calloutAppendSchema, { io: 'input' }) as Record<string, unknown>;
  const append = openapi.addSchema('NacdCalloutAppend', appendInput);
  const counts = { type: 'object', properties: Object.fromEntries(['answered', 'busy', 'no-answer', 'failed', 'cancelled'].map((o) => [o, { type: 'integer' }])) };
  const campaign = openapi.addSchema('NacdCallout', {
    type: 'object',
    properties: {
      id: { type: 'string' },
      request: { type: 'object', description: 'The campaign as started (NacdCalloutRequest), without its numbers' },
      state: { type: 'string', enum: ['running', 'done', 'stopped'] },
      createdAt: { type: 'number' },
      total: { type: 'integer', description: `Numbers in the campaign, appends included (at most ${MAX_NUMBERS_PER_CAMPAIGN})` },
      next: { type: 'integer', description: 'Index of the next number to dial' },
      dialing: { type: 'object', additionalProperties: { type: 'string' }, description: 'Number index -> call uuid, ringing now' },
      counts: { ...counts, description: 'Outcomes so far, by kind' },
      resultCount: { type: 'integer', description: 'Outcomes recorded so far' },
      results: { type: 'array', items: resultSchema, description: 'One page of outcomes, in the order they were known, from `cursor`' },
      nextCursor: { type: ['string', 'null'], description: 'The cursor of the next page; null once the campaign has ended and this page reached the end of the list' },
    },
  });
  const security = [{ [ADMIN_SECURITY_SCHEME]: [] }];
  const common = { '401': errorResponse('Missing or wrong admin key'), '503': errorResponse('No admin key configured, or Redis unavailable') };
  const json = (schema: unknown): Record<string, unknown> => ({ 'application/json': { schema } });
  const id = { name: 'id', in: 'path', required: true, description: 'The campaign id', schema: { type: 'string' } };
  const pageParams = [
    { name: 'cursor', in: 'query', required: false, description: 'Where the page of outcomes starts: 0 (default) or a previous nextCursor', schema: { type: 'string', pattern: '^[0-9]{1,9}$' } },
    { name: 'limit', in: 'query', required: false, description: 'Outcomes per page, 1-1000 (default 100)', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
  ];
  openapi.addPath('/api/v1/nacd/callouts', 'post', {
    summary: `Start an outbound campaign (nwaycallout): up to ${MAX_NUMBERS_PER_REQUEST} numbers per request, a body up to ${CALLOUT_BODY_LIMIT / 1024 / 1024} MiB`,
    operationId: 'nacdStartCallout',
    tags: ['nacd'],
    security,
    requestBody: { required: true, content: json(request) },
    responses: { '201': { description: 'Started', content: json(campaign) }, '400': errorResponse('Invalid campaign, or a body over the limit (Request body is too large)'), '404': errorResponse('No such line group'), ...common },
  });
  openapi.addPath('/api/v1/nacd/callouts/{id}/numbers', 'post', {
    summary: `Append numbers to a running campaign (up to ${MAX_NUMBERS_PER_REQUEST} per request, ${MAX_NUMBERS_PER_CAMPAIGN} per campaign); they are dialled after the others`,
    operationId: 'nacdAppendCalloutNumbers',
    tags: ['nacd'],
    security,
    parameters: [id],
    requestBody: { required: true, content: json(append) },
    responses: {
      '200': { description: 'Appended', content: json({ type: 'object', properties: { total: { type: 'integer' }, appended: { type: 'integer' } }, required: ['total', 'appended'] }) },
      '400': errorResponse('Invalid numbers, the campaign would hold too many, or a body over the limit'),
      '404': errorResponse('No such campaign'),
      '409': errorResponse('The campaign has ended or is being stopped (FREECTI_ERR_CALLOUT_NOT_RUNNING)'),
      ...common,
    },
  });
  openapi.addPath('/api/v1/nacd/callouts/{id}', 'get', { summary: 'A campaign and its outcomes', operationId: 'nacdGetCallout', tags: ['nacd'], security, parameters: [id, ...pageParams], responses: { '200': { description: 'The campaign', content: json(campaign) }, '400': errorResponse('Bad cursor or limit'), '404': errorResponse('No such campaign'), ...common } });
  openapi.addPath('/api/v1/nacd/callouts/{id}', 'delete', { summary: 'Stop a campaign', operationId: 'nacdStopCallout', tags: ['nacd'], security, parameters: [id], responses: { '202': { description: 'Stop asked; the campaign as it was', content: json(campaign) }, '404': errorResponse('No such campaign'), ...common } });
}

export const calloutRoutes: AppPlugin = async (app, deps) => {
  const { config, redis } = deps;
  const callouts = deps.services.callouts;
  documentCalloutApi(deps.openapi);
  await app.register(async (api) => {
    api.addHook('onRequest', adminKeyHook(config.admin.keys));
    api.addHook('preHandler', async () => assertRedisReady(redis));
    api.post('/api/v1/nacd/callouts', { bodyLimit: CALLOUT_BODY_LIMIT }, async (request, reply) => reply.code(201).send(await callouts.start(request.body)));
    api.get('/api/v1/nacd/callouts/:id', async (request) => {
      const query = request.query as { cursor?: string; limit?: string };
      return callouts.get(idOf(request.params), { cursor: query.cursor, limit: query.limit });
    });
    api.post('/api/v1/nacd/callouts/:id/numbers', { bodyLimit: CALLOUT_BODY_LIMIT }, async (request) => callouts.append(idOf(request.params), request.body));
    api.delete('/api/v1/nacd/callouts/:id', async (request, reply) => reply.code(202).send(await callouts.stop(idOf(request.params))));
  });
};
