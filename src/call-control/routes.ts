/**
 * The typed call-control REST API beside the raw CLI (docs/call-control.md). JSON in
 * and out, errors with stable codes. Auth: the CLI keys (X-API-Key, Bearer or
 * `?key=`) or an admin key; each operation needs the FreeSWITCH command it runs in
 * the key's allow list (`originate`, `uuid_kill`, `show`, `conference`, ...), plus
 * the pseudo command `eavesdrop` for listen/whisper/barge. `?node=` picks the node.
 * Every call is audited like /cli.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AccessGate, presentedKey, type Caller } from '../auth/access.js';
import { redactKeysInUrls } from '../auth/redact-url.js';
import type { FsNode } from '../esl/types.js';
import { FreectiError } from '../errors.js';
import type { AppPlugin } from '../http/route-deps.js';
import { callControlOpenApi } from './openapi.js';
import * as ops from './operations.js';
import type { CommandNode } from './operations.js';

const nodeQuery = z.object({ node: z.string().min(1).max(64).optional(), key: z.string().optional() });
const uuidParams = z.strictObject({ uuid: z.string() });
const clickToCallBody = z.strictObject({
  agent: z.string(),
  customer: z.string(),
  linegroup: z.string().optional(),
  gateway: z.string().optional(),
  agentCallerId: z.string().optional(),
  customerCallerId: z.string().optional(),
  record: z.boolean().optional(),
  timeoutSeconds: z.number().int().optional(),
});
const hangupBody = z.strictObject({ cause: z.string().optional() }).optional();
const transferBody = z.strictObject({ destination: z.string(), context: z.string().optional(), leg: z.enum(['aleg', 'bleg', 'both']).optional() });
const broadcastBody = z.strictObject({ file: z.string(), leg: z.enum(['aleg', 'bleg', 'holdb', 'both']).default('aleg') });
const eavesdropBody = z.strictObject({
  supervisor: z.string(),
  mode: z.enum(['listen', 'whisper', 'barge']).default('listen'),
  whisperTo: z.enum(['self', 'partner']).optional(),
  callerId: z.string().optional(),
});
const memberParams = z.strictObject({ name: z.string(), member: z.string(), action: z.enum(['mute', 'unmute', 'kick', 'hup']) });
const playBody = z.strictObject({ file: z.string(), member: z.string().optional() });

type Op<T> = (node: CommandNode, caller: Caller) => Promise<T>;

/**
 * The node as an operation sees it: every command it builds passes the same parser and
 * allow-list policy as /cli, with the caller's grants, before it is sent (a refusal is
 * 403 CLI_COMMAND_FORBIDDEN); names used only by an exact grant are collected for the audit.
 */
function checkedNode(node: FsNode, caller: Caller, exactUsed: string[]): CommandNode {
  const check = (command: string, args: string | undefined): void => {
    exactUsed.push(...AccessGate.require(caller, caller.entry.grants.check(command, args ?? '')).exactUsed);
  };
  return {
    name: node.name,
    api: async (command, args, options) => {
      check(command, args);
      return node.api(command, args, options);
    },
    bgapi: async (command, args, options) => {
      check(command, args);
      return node.bgapi(command, args, options);
    },
  };
}

export const callControlRoutes: AppPlugin = async (app, deps) => {
  const ctx = deps.services.cli;
  callControlOpenApi(deps.openapi);
  redactKeysInUrls(app);

  /** Admits, checks the capabilities, runs on the node and audits. */
  async function operate<T>(request: FastifyRequest, via: string, needs: string[], summary: string, op: Op<T>): Promise<T> {
    const startedAt = performance.now();
    const query = nodeQuery.parse(request.query);
    let caller: Caller | undefined;
    let nodeName = query.node;
    const exactGrants: string[] = [];
    try {
      caller = await ctx.gate.admit(presentedKey(request, query.key), request.ip, { cli: false });
      AccessGate.requireNames(caller, needs);
      const node = ctx.node(query.node);
      nodeName = node.name;
      const result = await op(checkedNode(node, caller, exactGrants), caller);
      ctx.record(caller, { via, cmd: needs[0] ?? via, arg: summary, node: nodeName, status: 200, result: '+OK', startedAt, exactGrants });
      return result;
    } catch (error) {
      const e = error instanceof FreectiError ? error : undefined;
      const reason = typeof e?.details?.['reason'] === 'string' ? e.details['reason'] : undefined;
      ctx.record(caller ?? { ip: request.ip, keyId: '-' }, { via, cmd: needs[0] ?? via, arg: summary, node: nodeName, status: e?.status ?? 500, result: e?.code ?? 'FREECTI_ERR_INTERNAL', startedAt, exactGrants, reason });
      throw error;
    }
  }

  const base = '/api/v1';
  app.post(`${base}/calls`, async (request, reply) => {
    const body = clickToCallBody.parse(request.body);
    const started = await operate(request, 'click-to-call', ['originate'], `${body.agent} -> ${body.customer}`, (node) =>
      ops.clickToCall(node, body, ctx.dialLinegroup),
    );
    return reply.status(202).send(started);
  });
  app.get(`${base}/calls`, async (request) => {
    return operate(request, 'list-calls', ['show'], 'channels as json', async (node) => ({ node: node.name, calls: await ops.listCalls(node) }));
  });
  app.delete(`${base}/calls/:uuid`, async (request) => {
    const { uuid } = uuidParams.parse(request.params);
    const cause = hangupBody.parse(request.body ?? undefined)?.cause;
    const fs = await operate(request, 'hangup', ['uuid_kill'], uuid, (node) => ops.hangup(node, uuid, cause));
    return { uuid, reply: fs };
  });
  app.post(`${base}/calls/:uuid/transfer`, async (request) => {
    const { uuid } = uuidParams.parse(request.params);
    const body = transferBody.parse(request.body);
    const fs = await operate(request, 'transfer', ['uuid_transfer'], `${uuid} ${body.destination}`, (node) =>
      ops.transfer(node, uuid, body.destination, body.context, body.leg),
    );
    return { uuid, reply: fs };
  });
  for (const action of ['hold', 'unhold'] as const) {
    app.post(`${base}/calls/:uuid/${action}`, async (request) => {
      const { uuid } = uuidParams.parse(request.params);
      const fs = await operate(request, action, ['uuid_hold'], uuid, (node) => ops.hold(node, uuid, action === 'hold'));
      return { uuid, reply: fs };
    });
  }
  app.post(`${base}/calls/:uuid/broadcast`, async (request) => {
    const { uuid } = uuidParams.parse(request.params);
    const body = broadcastBody.parse(request.body);
    const fs = await operate(request, 'broadcast', ['uuid_broadcast'], `${uuid} ${body.file} ${body.leg}`, (node) =>
      ops.broadcast(node, uuid, body.file, body.leg),
    );
    return { uuid, reply: fs };
  });
  app.post(`${base}/calls/:uuid/eavesdrop`, async (request, reply) => {
    const { uuid } = uuidParams.parse(request.params);
    const body = eavesdropBody.parse(request.body);
    const started = await operate(request, 'eavesdrop', ['eavesdrop', 'originate'], `${uuid} by ${body.supervisor} (${body.mode})`, (node) =>
      ops.eavesdrop(node, uuid, body),
    );
    return reply.status(202).send({ ...started, target: uuid, mode: body.mode });
  });
  app.get(`${base}/registrations`, async (request) => {
    return operate(request, 'list-registrations', ['show'], 'registrations as json', async (node) => ({
      node: node.name,
      registrations: await ops.listRegistrations(node),
    }));
  });
  app.get(`${base}/conferences`, async (request) => {
    return operate(request, 'list-conferences', ['conference'], 'json_list', async (node) => ({ node: node.name, conferences: await ops.listConferences(node) }));
  });
  app.get(`${base}/conferences/:name`, async (request) => {
    const { name } = z.strictObject({ name: z.string() }).parse(request.params);
    const list = await operate(request, 'conference', ['conference'], `${name} json_list`, (node) => ops.listConferences(node, name));
    const conference = list[0];
    if (conference === undefined) throw new FreectiError('CONFERENCE_NOT_FOUND', `conference ${name} not found`);
    return conference;
  });
  app.post(`${base}/conferences/:name/members/:member/:action`, async (request) => {
    const { name, member, action } = memberParams.parse(request.params);
    const fs = await operate(request, `conference-${action}`, ['conference'], `${name} ${action} ${member}`, (node) => ops.memberAction(node, name, member, action));
    return { conference: name, member, reply: fs };
  });
  app.post(`${base}/conferences/:name/play`, async (request) => {
    const { name } = z.strictObject({ name: z.string() }).parse(request.params);
    const body = playBody.parse(request.body);
    const fs = await operate(request, 'conference-play', ['conference'], `${name} play ${body.file}`, (node) => ops.conferencePlay(node, name, body.file, body.member));
    return { conference: name, reply: fs };
  });
};
