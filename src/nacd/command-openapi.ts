/** OpenAPI description of the nacd commands over REST (command-routes.ts); request bodies generated from the zod schemas of command-api.ts. */
import { z } from 'zod';
import { addKeySchemes, keySecurity } from '../cli-http/cli-openapi.js';
import { errorResponse, type JsonSchema, type OpenApi, type OpenApiOperation } from '../http/openapi.js';
import { groupBody, threewayBody, holdBody, limitsBody, originateBody, transferBody } from './command-api.js';

function input(schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return rest;
}

const str = { type: 'string' };
const nodeParam = { name: 'node', in: 'query', required: false, schema: str, description: 'FreeSWITCH node (default: first connected)' };
const uuidParam = { name: 'uuid', in: 'path', required: true, schema: str, description: 'The channel uuid' };
const lineParams = [
  { name: 'group', in: 'path', required: true, schema: str, description: 'The line group' },
  { name: 'line', in: 'path', required: true, schema: str, description: 'The line id in the group' },
];

function json(schema: JsonSchema): Record<string, unknown> {
  return { content: { 'application/json': { schema } } };
}

function op(summary: string, operationId: string, command: string, extra: Partial<OpenApiOperation>, ok: Record<string, unknown>, errors: Record<string, string>): OpenApiOperation {
  return {
    summary,
    description: `The /cli command \`${command}\`, run by the same runner and checked by the same key policy: needs \`${command.split(' ')[0] ?? command}\` in the key's allow list (or an admin key).`,
    operationId,
    tags: ['nacd-commands'],
    security: keySecurity,
    ...extra,
    parameters: [nodeParam, ...(extra.parameters ?? [])],
    responses: {
      ...ok,
      '400': errorResponse('Invalid input (nothing was checked or sent)'),
      '401': errorResponse('Missing or wrong key'),
      '403': errorResponse("The key's policy refuses the command"),
      ...Object.fromEntries(Object.entries(errors).map(([status, text]) => [status, errorResponse(text)])),
      '503': errorResponse('No key configured, Redis or FreeSWITCH unavailable'),
    },
  };
}

export function documentNacdCommandApi(openapi: OpenApi): void {
  addKeySchemes(openapi);
  openapi.addTag('nacd-commands', "mod_nacd's api commands as typed routes (docs/nacd.md \"Commands over REST\")");
  const limits = openapi.addSchema('NacdLineLimits', {
    type: 'object',
    required: ['group', 'line', 'cps', 'concurrency'],
    properties: { group: str, line: str, cps: { type: ['integer', 'null'] }, concurrency: { type: ['integer', 'null'] } },
  });
  const callReply = openapi.addSchema('NacdCallReply', { type: 'object', required: ['uuid', 'reply'], properties: { uuid: str, mode: str, group: str, target: str, reply: { type: 'string', description: "FreeSWITCH's +OK line" } } });
  const body = (schema: z.ZodType, required = true): Record<string, unknown> => ({ required, ...json(input(schema)) });
  const callErrors = { '404': 'No such call (FreeSWITCH: -ERR No such channel!), or no such node', '502': 'FreeSWITCH refused the command (its reply in details)' };

  openapi.addPath('/api/v1/nacd/version', 'get', op("freecti's version (nacd_version)", 'nacdVersion', 'nacd_version', {}, {
    '200': { description: 'The version and the text nacd_version answers', ...json({ type: 'object', required: ['version', 'reply'], properties: { version: str, reply: str } }) },
  }, {}));
  openapi.addPath('/api/v1/nacd/limits', 'get', op("Every line's CPS and concurrency limits (nacd_max)", 'nacdListLimits', 'nacd_max', {}, {
    '200': { description: 'null = no limit', ...json({ type: 'object', required: ['lines'], properties: { lines: { type: 'array', items: limits } } }) },
  }, {}));
  openapi.addPath('/api/v1/nacd/limits/{group}/{line}', 'get', op("One line's limits (nacd_max <group>/<line>)", 'nacdGetLimits', 'nacd_max <group>/<line>', { parameters: lineParams }, {
    '200': { description: 'The line', ...json(limits) },
  }, { '404': 'No such line group or line' }));
  openapi.addPath('/api/v1/nacd/limits/{group}/{line}', 'put', op("Changes a line's limits (nacd_max <group>/<line> cps|concurrency <n>|none)", 'nacdSetLimits', 'nacd_max <group>/<line> cps|concurrency <n>|none', {
    parameters: lineParams,
    requestBody: body(limitsBody),
  }, { '200': { description: 'The line after the change', ...json(limits) } }, { '404': 'No such line group or line', '409': 'The line group kept changing while it was updated; try again' }));
  openapi.addPath('/api/v1/nacd/calls/{uuid}/hold', 'post', op('Hold, unhold or toggle (nway_uuid_hold / nway_uuid_unhold)', 'nacdHold', 'nway_uuid_hold [off|toggle] <uuid>', {
    parameters: [uuidParam],
    requestBody: body(holdBody, false),
  }, { '200': { description: 'Done', ...json(callReply) } }, callErrors));
  openapi.addPath('/api/v1/nacd/calls/{uuid}/transfer', 'post', op('Transfer with the ACD bookkeeping (nway_uuid_transfer)', 'nacdTransfer', 'nway_uuid_transfer <uuid> [-bleg|-both] <destination> [<dialplan> [<context>]]', {
    parameters: [uuidParam],
    requestBody: body(transferBody),
  }, { '200': { description: 'Transferred', ...json(callReply) } }, callErrors));
  openapi.addPath('/api/v1/nacd/calls/{uuid}/group', 'post', op("Moves a live call into a group's callflow (nacd_transfer)", 'nacdTransferToGroup', 'nacd_transfer <uuid> <group>', {
    parameters: [uuidParam],
    requestBody: body(groupBody),
  }, { '200': { description: 'Transferred to freecti\'s outbound socket', ...json(callReply) } }, callErrors));
  openapi.addPath('/api/v1/nacd/calls/{uuid}/threeway', 'post', op('A third party joins the live call (nway_threeway)', 'nacdThreeway', 'nway_threeway <uuid> <dial string>', {
    parameters: [uuidParam],
    requestBody: body(threewayBody),
  }, { '200': { description: "The third party answered and joined (FreeSWITCH's +OK line)", ...json(callReply) } }, callErrors));
  openapi.addPath('/api/v1/nacd/originate', 'post', op("The agent first, then the customer through the extension's DID-out entry (noriginate)", 'nacdOriginate', 'noriginate', {
    requestBody: body(originateBody),
  }, {
    '202': { description: 'Originate started (bgapi)', ...json({ type: 'object', required: ['uuid', 'jobUuid', 'node'], properties: { uuid: { type: 'string', description: 'origination_uuid of the agent leg' }, jobUuid: str, node: str } }) },
  }, { '404': 'No such node', '502': 'FreeSWITCH refused the job' }));
}
