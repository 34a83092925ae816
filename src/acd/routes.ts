/**
 * The ACD REST API under /api/v1/acd (admin key; docs/acd.md "REST API"): queues, agents,
 * tiers, agent states, waiting callers, live statistics and the queue log. The engine
 * and statistics come from the composition root (deps.services.acd).
 */
import { adminKeyHook } from '../auth/admin-auth.js';
import { FreectiError } from '../errors.js';
import type { AppPlugin } from '../http/route-deps.js';
import { assertRedisReady } from '../redis.js';
import { ACD_ID, parseAgent, parseQueue, parseTier } from './config.js';
import { toAcdEvent } from './event-feed.js';
import { documentAcdApi } from './openapi.js';

type Params = { queue?: string; agent?: string };

function id(params: unknown, name: 'queue' | 'agent'): string {
  const v = (params as Params)[name] ?? '';
  if (!ACD_ID.test(v)) throw new FreectiError('BAD_REQUEST', `${name}: letters, digits, _ . @ + - only (1-64 chars)`);
  return v;
}

export const acdRoutes: AppPlugin = async (app, deps) => {
  const { config, redis } = deps;
  const acd = deps.services.acd;
  const engine = acd.engine;
  documentAcdApi(deps.openapi);
  await app.register(async (api) => {
    api.addHook('onRequest', adminKeyHook(config.admin.keys));
    api.addHook('preHandler', async () => assertRedisReady(redis));

    const queueOr404 = async (name: string) => {
      const q = await engine.getQueue(name);
      if (q === null) throw new FreectiError('ACD_QUEUE_NOT_FOUND', `no queue '${name}'`);
      return q;
    };

    api.get('/api/v1/acd/queues', async () => ({ queues: await engine.listQueues() }));
    api.get('/api/v1/acd/queues/:queue', async (request) => queueOr404(id(request.params, 'queue')));
    api.put('/api/v1/acd/queues/:queue', async (request, reply) => {
      const name = id(request.params, 'queue');
      const parsed = parseQueue(name, request.body);
      if (!parsed.ok) throw new FreectiError('BAD_REQUEST', parsed.error);
      const created = (await engine.getQueue(name)) === null;
      await engine.putQueue(parsed.value);
      return reply.code(created ? 201 : 200).send(parsed.value);
    });
    api.delete('/api/v1/acd/queues/:queue', async (request, reply) => {
      await engine.deleteQueue(id(request.params, 'queue'));
      return reply.code(204).send();
    });
    api.get('/api/v1/acd/queues/:queue/tiers', async (request) => {
      const name = id(request.params, 'queue');
      await queueOr404(name);
      return { tiers: await engine.tiers(name) };
    });
    api.put('/api/v1/acd/queues/:queue/tiers/:agent', async (request) => {
      const queue = id(request.params, 'queue');
      const agent = id(request.params, 'agent');
      const tier = parseTier(request.body);
      if (!tier.ok) throw new FreectiError('BAD_REQUEST', tier.error);
      await engine.putTier(queue, agent, tier.value.level, tier.value.position);
      return { queue, agent, ...tier.value };
    });
    api.delete('/api/v1/acd/queues/:queue/tiers/:agent', async (request, reply) => {
      await engine.deleteTier(id(request.params, 'queue'), id(request.params, 'agent'));
      return reply.code(204).send();
    });
    api.get('/api/v1/acd/queues/:queue/callers', async (request) => {
      const name = id(request.params, 'queue');
      await queueOr404(name);
      return { callers: await engine.callers(name) };
    });
    api.get('/api/v1/acd/queues/:queue/stats', async (request) => {
      const q = await queueOr404(id(request.params, 'queue'));
      return acd.stats.queue(q.name, q);
    });

    api.get('/api/v1/acd/agents', async () => ({ agents: (await engine.listAgents()).map(({ config: c, status }) => ({ ...c, status })) }));
    api.get('/api/v1/acd/agents/:agent', async (request) => {
      const agentId = id(request.params, 'agent');
      const c = await engine.getAgent(agentId);
      if (c === null) throw new FreectiError('ACD_AGENT_NOT_FOUND', `no agent '${agentId}'`);
      return { ...c, status: await engine.agentStatus(agentId) };
    });
    api.put('/api/v1/acd/agents/:agent', async (request, reply) => {
      const agentId = id(request.params, 'agent');
      const parsed = parseAgent(agentId, request.body);
      if (!parsed.ok) throw new FreectiError('BAD_REQUEST', parsed.error);
      const created = (await engine.getAgent(agentId)) === null;
      await engine.putAgent(parsed.value);
      return reply.code(created ? 201 : 200).send(parsed.value);
    });
    api.delete('/api/v1/acd/agents/:agent', async (request, reply) => {
      await engine.deleteAgent(id(request.params, 'agent'));
      return reply.code(204).send();
    });
    api.put('/api/v1/acd/agents/:agent/state', async (request) => {
      const agentId = id(request.params, 'agent');
      const body = request.body as { state?: unknown; reason?: unknown } | null;
      const state = body?.state;
      const reason = body?.reason ?? '';
      if (state !== 'available' && state !== 'on-break' && state !== 'logged-out') throw new FreectiError('BAD_REQUEST', 'state: available, on-break or logged-out');
      if (typeof reason !== 'string' || !/^[A-Za-z0-9_.-]{0,64}$/.test(reason)) throw new FreectiError('BAD_REQUEST', 'reason: letters, digits, _ . - (up to 64)');
      return engine.setAgentState(agentId, state, reason);
    });
    api.get('/api/v1/acd/agents/:agent/stats', async (request) => {
      const agentId = id(request.params, 'agent');
      const s = await acd.stats.agent(agentId);
      if (s === null) throw new FreectiError('ACD_AGENT_NOT_FOUND', `no agent '${agentId}'`);
      return s;
    });

    api.get('/api/v1/acd/log', async (request) => {
      const q = request.query as { count?: string; before?: string };
      const count = q.count === undefined ? 100 : Number(q.count);
      if (!Number.isInteger(count) || count < 1 || count > 1000) throw new FreectiError('BAD_REQUEST', 'count: 1..1000');
      const before = q.before ?? '+';
      if (before !== '+' && !/^\d{1,20}-\d{1,20}$/.test(before)) throw new FreectiError('BAD_REQUEST', 'before: a stream id <ms>-<seq>');
      const end = before === '+' ? '+' : `(${before}`;
      const rows = await redis.xrevrange(deps.services.keys.acdLog(), end, '-', 'COUNT', count);
      return { events: rows.map(([entryId, fields]) => toAcdEvent(entryId, fields)) };
    });
  });
};
