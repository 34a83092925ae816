/** OpenAPI description of the ACD API (`/api/v1/acd`), schemas from the zod validators. */
import { z } from 'zod';
import { ADMIN_SECURITY_SCHEME } from '../auth/admin-auth.js';
import { errorResponse, type JsonSchema, type OpenApi } from '../http/openapi.js';
import { agentSettingsSchema, queueSettingsSchema, tierSchema } from './config.js';
import { AGENT_STATES } from './types.js';

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io }) as Record<string, unknown>;
  return rest;
}

export function documentAcdApi(openapi: OpenApi): void {
  openapi.addTag('acd', 'ACD: queues, agents, tiers, live statistics and the queue log (docs/acd.md)');
  openapi.addSecurityScheme(ADMIN_SECURITY_SCHEME, { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'One of admin.keys (or Authorization: Bearer <key>)' });
  const queueIn = openapi.addSchema('AcdQueueInput', schemaOf(queueSettingsSchema, 'input'));
  const queue = openapi.addSchema('AcdQueue', { allOf: [{ type: 'object', properties: { name: { type: 'string' } } }, schemaOf(queueSettingsSchema, 'output')] });
  const agentIn = openapi.addSchema('AcdAgentInput', schemaOf(agentSettingsSchema, 'input'));
  const status = openapi.addSchema('AcdAgentStatus', {
    type: 'object',
    properties: {
      id: { type: 'string' },
      state: { enum: [...AGENT_STATES] },
      reason: { type: ['string', 'null'] },
      since: { type: 'integer', description: 'ms epoch' },
      readyAt: { type: 'integer', description: 'not offered before (ms epoch)' },
      idleSince: { type: 'integer' },
      calls: { type: 'integer' },
      talkMs: { type: 'integer' },
      noAnswers: { type: 'integer' },
      offerId: { type: ['string', 'null'] },
      callUuid: { type: ['string', 'null'] },
    },
  });
  const agent = openapi.addSchema('AcdAgent', { allOf: [{ type: 'object', properties: { id: { type: 'string' } } }, schemaOf(agentSettingsSchema, 'output')] });
  const event = openapi.addSchema('AcdEvent', {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'stream id' },
      event: { type: 'string', description: 'ENTERQUEUE, OFFER, CONNECT, RINGNOANSWER, ABANDON, COMPLETECALLER, COMPLETEAGENT, EXITWITHTIMEOUT, EXITEMPTY, EXITWITHKEY, FULL, JOINEMPTY, AGENTSTATE, ...' },
      time: { type: 'integer' },
      queue: { type: 'string' },
      callUuid: { type: 'string' },
      agent: { type: 'string' },
      data: { type: 'object', additionalProperties: { type: 'string' } },
    },
  });
  const security = [{ [ADMIN_SECURITY_SCHEME]: [] }];
  const common = { '401': errorResponse('Missing or wrong admin key'), '503': errorResponse('No admin key configured, or Redis unavailable') };
  const json = (schema: unknown): Record<string, unknown> => ({ 'application/json': { schema } });
  const p = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_.@+-]{1,64}$' } });
  const obj = (properties: Record<string, unknown>) => ({ type: 'object', properties });
  const op = (path: string, method: 'get' | 'put' | 'delete', summary: string, params: string[], ok: Record<string, unknown>, extra: Record<string, unknown> = {}, body?: unknown): void => {
    openapi.addPath(path, method, {
      summary,
      operationId: `acd${method[0]!.toUpperCase()}${method.slice(1)}${path.replace(/\/api\/v1\/acd|[{}]/g, '').split('/').map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join('')}`,
      tags: ['acd'],
      security,
      parameters: params.map(p),
      ...(body === undefined ? {} : { requestBody: { required: true, content: json(body) } }),
      responses: { ...ok, ...extra, ...common },
    });
  };
  const notFound = { '404': errorResponse('No such queue or agent') };
  const bad = { '400': errorResponse('Invalid input') };
  const inUse = { '409': errorResponse('In use') };
  op('/api/v1/acd/queues', 'get', 'List the queues', [], { '200': { description: 'Queues', content: json(obj({ queues: { type: 'array', items: queue } })) } });
  op('/api/v1/acd/queues/{queue}', 'get', 'One queue', ['queue'], { '200': { description: 'The queue', content: json(queue) } }, notFound);
  op('/api/v1/acd/queues/{queue}', 'put', 'Create or replace a queue', ['queue'], { '200': { description: 'Replaced', content: json(queue) }, '201': { description: 'Created', content: json(queue) } }, bad, queueIn);
  op('/api/v1/acd/queues/{queue}', 'delete', 'Delete a queue without waiting callers', ['queue'], { '204': { description: 'Deleted' } }, { ...notFound, ...inUse });
  op('/api/v1/acd/queues/{queue}/tiers', 'get', 'The agents of a queue with level and position', ['queue'], { '200': { description: 'Tiers', content: json(obj({ tiers: { type: 'array', items: obj({ agent: { type: 'string' }, level: { type: 'integer' }, position: { type: 'integer' } }) } })) } }, notFound);
  op('/api/v1/acd/queues/{queue}/tiers/{agent}', 'put', 'Put an agent in a queue (level, position)', ['queue', 'agent'], { '200': { description: 'The tier', content: json(obj({ queue: { type: 'string' }, agent: { type: 'string' }, level: { type: 'integer' }, position: { type: 'integer' } })) } }, { ...notFound, ...bad }, schemaOf(tierSchema, 'input'));
  op('/api/v1/acd/queues/{queue}/tiers/{agent}', 'delete', 'Take an agent out of a queue', ['queue', 'agent'], { '204': { description: 'Removed' } }, bad);
  op('/api/v1/acd/queues/{queue}/callers', 'get', 'Waiting callers in order', ['queue'], { '200': { description: 'Callers', content: json(obj({ callers: { type: 'array', items: { type: 'object' } } })) } }, notFound);
  op('/api/v1/acd/queues/{queue}/stats', 'get', 'Live statistics of a queue (15 min, 60 min, today)', ['queue'], { '200': { description: 'See docs/acd.md "Live statistics" for the formulas', content: json({ type: 'object' }) } }, notFound);
  op('/api/v1/acd/agents', 'get', 'List the agents with their state', [], { '200': { description: 'Agents', content: json(obj({ agents: { type: 'array', items: { allOf: [agent, obj({ status: status })] } } })) } });
  op('/api/v1/acd/agents/{agent}', 'get', 'One agent with its state', ['agent'], { '200': { description: 'The agent', content: json({ allOf: [agent, obj({ status: status })] }) } }, notFound);
  op('/api/v1/acd/agents/{agent}', 'put', 'Create or replace an agent', ['agent'], { '200': { description: 'Replaced', content: json(agent) }, '201': { description: 'Created', content: json(agent) } }, bad, agentIn);
  op('/api/v1/acd/agents/{agent}', 'delete', 'Delete a logged-out agent', ['agent'], { '204': { description: 'Deleted' } }, { ...notFound, ...inUse });
  op('/api/v1/acd/agents/{agent}/state', 'put', 'Log in (available), break (with a reason) or log out; during a call it applies when the call ends', ['agent'], { '200': { description: 'The agent state now', content: json(status) } }, { ...notFound, ...bad }, obj({ state: { enum: ['available', 'on-break', 'logged-out'] }, reason: { type: 'string', pattern: '^[A-Za-z0-9_.-]{0,64}$' } }));
  op('/api/v1/acd/agents/{agent}/stats', 'get', 'Live statistics of an agent', ['agent'], { '200': { description: 'Per window', content: json({ type: 'object' }) } }, notFound);
  openapi.addPath('/api/v1/acd/log', 'get', {
    summary: 'The queue log, newest first',
    operationId: 'acdGetLog',
    tags: ['acd'],
    security,
    parameters: [
      { name: 'count', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      { name: 'before', in: 'query', description: 'Stream id: entries older than it (paging)', schema: { type: 'string' } },
    ],
    responses: { '200': { description: 'Events', content: json(obj({ events: { type: 'array', items: event } })) }, ...bad, ...common },
  });
}
