/** OpenAPI description of the call-control API (routes.ts). */
import { addKeySchemes, keySecurity } from '../cli-http/cli-openapi.js';
import { errorResponse, type JsonSchema, type OpenApi, type OpenApiOperation } from '../http/openapi.js';

const str = { type: 'string' };
const nodeParam = { name: 'node', in: 'query', required: false, schema: str, description: 'FreeSWITCH node (default: first connected)' };
const uuidParam = { name: 'uuid', in: 'path', required: true, schema: str };
const nameParam = { name: 'name', in: 'path', required: true, schema: str, description: 'Conference name' };

function json(schema: JsonSchema): Record<string, unknown> {
  return { content: { 'application/json': { schema } } };
}

function op(summary: string, operationId: string, capability: string, extra: Partial<OpenApiOperation>, ok: Record<string, unknown>): OpenApiOperation {
  return {
    summary,
    description: `Needs \`${capability}\` in the key's allow list (or an admin key).`,
    operationId,
    tags: ['call-control'],
    security: keySecurity,
    ...extra,
    parameters: [nodeParam, ...(extra.parameters ?? [])],
    responses: {
      ...ok,
      '400': errorResponse('Invalid input (numbers, uuids, files are validated)'),
      '401': errorResponse('Missing or wrong key'),
      '403': errorResponse('The key lacks the capability'),
      '404': errorResponse('No such call, conference, member or node'),
      '502': errorResponse('FreeSWITCH refused the command (reply in details)'),
      '503': errorResponse('FreeSWITCH not connected'),
    },
  };
}

export function callControlOpenApi(openapi: OpenApi): void {
  addKeySchemes(openapi);
  openapi.addTag('call-control', 'Typed call control: click-to-call, hangup, transfer, hold, broadcast, eavesdrop, conferences');
  const reply = openapi.addSchema('CallControlReply', { type: 'object', properties: { uuid: str, conference: str, member: str, reply: { type: 'string', description: "FreeSWITCH's +OK line" } } });
  const started = openapi.addSchema('CallStarted', {
    type: 'object',
    required: ['uuid', 'jobUuid', 'node'],
    properties: { uuid: { type: 'string', description: 'origination_uuid of the first leg' }, jobUuid: str, node: str, recording: str, target: str, mode: str },
  });
  const rows = { type: 'array', items: { type: 'object' } };
  const body = (schema: JsonSchema): Record<string, unknown> => ({ required: true, ...json(schema) });
  openapi.addPath('/api/v1/calls', 'post', op('Click-to-call: the agent first, then the customer', 'clickToCall', 'originate', {
    requestBody: body({
      type: 'object',
      required: ['agent', 'customer'],
      properties: {
        agent: str, customer: str, linegroup: str, gateway: str, agentCallerId: str, customerCallerId: str,
        record: { type: 'boolean', description: 'record_session on the customer leg from its answer' },
        timeoutSeconds: { type: 'integer', minimum: 1, maximum: 300 },
      },
    }),
  }, { '202': { description: 'Originate started (bgapi)', ...json(started) } }));
  openapi.addPath('/api/v1/calls', 'get', op('Live calls (show channels as json)', 'listCalls', 'show', {}, { '200': { description: 'Rows as FreeSWITCH lists them', ...json({ type: 'object', properties: { node: str, calls: rows } }) } }));
  openapi.addPath('/api/v1/registrations', 'get', op('Registrations (show registrations as json)', 'listRegistrations', 'show', {}, { '200': { description: 'Rows', ...json({ type: 'object', properties: { node: str, registrations: rows } }) } }));
  openapi.addPath('/api/v1/calls/{uuid}', 'delete', op('Hang up (uuid_kill)', 'hangupCall', 'uuid_kill', { parameters: [uuidParam] }, { '200': { description: 'Hung up', ...json(reply) } }));
  openapi.addPath('/api/v1/calls/{uuid}/transfer', 'post', op('Blind transfer (uuid_transfer ... XML <context>)', 'transferCall', 'uuid_transfer', {
    parameters: [uuidParam],
    requestBody: body({ type: 'object', required: ['destination'], properties: { destination: str, context: str, leg: { enum: ['aleg', 'bleg', 'both'] } } }),
  }, { '200': { description: 'Transferred', ...json(reply) } }));
  for (const action of ['hold', 'unhold']) {
    openapi.addPath(`/api/v1/calls/{uuid}/${action}`, 'post', op(`${action} (uuid_hold)`, `${action}Call`, 'uuid_hold', { parameters: [uuidParam] }, { '200': { description: 'Done', ...json(reply) } }));
  }
  openapi.addPath('/api/v1/calls/{uuid}/broadcast', 'post', op('Play a file to aleg, bleg, holdb or both (uuid_broadcast)', 'broadcastCall', 'uuid_broadcast', {
    parameters: [uuidParam],
    requestBody: body({ type: 'object', required: ['file'], properties: { file: str, leg: { enum: ['aleg', 'bleg', 'holdb', 'both'] } } }),
  }, { '200': { description: 'Playing', ...json(reply) } }));
  openapi.addPath('/api/v1/calls/{uuid}/eavesdrop', 'post', op('Listen, whisper or barge with a supervisor phone', 'eavesdropCall', 'eavesdrop + originate', {
    parameters: [uuidParam],
    requestBody: body({
      type: 'object',
      required: ['supervisor'],
      properties: { supervisor: str, mode: { enum: ['listen', 'whisper', 'barge'] }, whisperTo: { enum: ['self', 'partner'] }, callerId: str },
    }),
  }, { '202': { description: 'Supervisor leg started', ...json(started) } }));
  openapi.addPath('/api/v1/conferences', 'get', op('Conferences (conference json_list)', 'listConferences', 'conference', {}, { '200': { description: 'As FreeSWITCH lists them', ...json({ type: 'object', properties: { node: str, conferences: rows } }) } }));
  openapi.addPath('/api/v1/conferences/{name}', 'get', op('One conference with its members', 'getConference', 'conference', { parameters: [nameParam] }, { '200': { description: 'The conference', ...json({ type: 'object' }) } }));
  openapi.addPath('/api/v1/conferences/{name}/members/{member}/{action}', 'post', op('mute, unmute, kick (with kick sound) or hup a member', 'conferenceMember', 'conference', {
    parameters: [nameParam, { name: 'member', in: 'path', required: true, schema: str, description: 'member id, all, last or non_moderator' }, { name: 'action', in: 'path', required: true, schema: { enum: ['mute', 'unmute', 'kick', 'hup'] } }],
  }, { '200': { description: 'Done', ...json(reply) } }));
  openapi.addPath('/api/v1/conferences/{name}/play', 'post', op('Play a file to one member or to the whole conference', 'conferencePlay', 'conference', {
    parameters: [nameParam],
    requestBody: body({ type: 'object', required: ['file'], properties: { file: str, member: str } }),
  }, { '200': { description: 'Playing', ...json(reply) } }));
}
