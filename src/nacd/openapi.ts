/** OpenAPI description of the nacd groups API (`/api/v1/nacd/groups`), schemas from the zod validators. */
import { z } from 'zod';
import { ADMIN_SECURITY_SCHEME } from '../auth/admin-auth.js';
import { errorResponse, type JsonSchema, type OpenApi } from '../http/openapi.js';
import { groupSchema } from './group-schema.js';
import { didInSchema, didOutSchema } from './did-schema.js';

function schemaOf(io: 'input' | 'output', schema: z.ZodType = groupSchema): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io }) as Record<string, unknown>;
  return rest;
}

export function documentNacdApi(openapi: OpenApi): void {
  openapi.addTag('nacd', "mod_nacd's HTTP callflow: groups (docs/nacd.md)");
  openapi.addSecurityScheme(ADMIN_SECURITY_SCHEME, { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'One of admin.keys (or Authorization: Bearer <key>)' });
  const groupIn = openapi.addSchema('NacdGroupInput', schemaOf('input'));
  const group = openapi.addSchema('NacdGroup', schemaOf('output'));
  const security = [{ [ADMIN_SECURITY_SCHEME]: [] }];
  const common = { '401': errorResponse('Missing or wrong admin key'), '503': errorResponse('No admin key configured, or Redis unavailable') };
  const json = (schema: unknown): Record<string, unknown> => ({ 'application/json': { schema } });
  const number = { name: 'group', in: 'path', required: true, description: 'The group number (nacd_group, group_number)', schema: { type: 'string', pattern: '^[A-Za-z0-9_.+-]{1,64}$' } };
  const notFound = { '404': errorResponse('No such group') };
  const bad = { '400': errorResponse('Invalid group number or body') };
  openapi.addPath('/api/v1/nacd/groups', 'get', {
    summary: 'List the groups',
    operationId: 'nacdListGroups',
    tags: ['nacd'],
    security,
    responses: { '200': { description: 'Groups by number; stored values that no longer validate are named in invalid', content: json({ type: 'object', properties: { groups: { type: 'object', additionalProperties: group }, invalid: { type: 'array', items: { type: 'string' } } } }) }, ...common },
  });
  openapi.addPath('/api/v1/nacd/groups/{group}', 'get', { summary: 'One group', operationId: 'nacdGetGroup', tags: ['nacd'], security, parameters: [number], responses: { '200': { description: 'The group', content: json(group) }, ...notFound, ...bad, ...common } });
  openapi.addPath('/api/v1/nacd/groups/{group}', 'put', {
    summary: 'Create or replace a group',
    operationId: 'nacdPutGroup',
    tags: ['nacd'],
    security,
    parameters: [number],
    requestBody: { required: true, content: json(groupIn) },
    responses: { '200': { description: 'Replaced', content: json(group) }, '201': { description: 'Created', content: json(group) }, ...bad, ...common },
  });
  for (const [direction, schema, what] of [['in', didInSchema, 'dialed number -> extension, queue or group'], ['out', didOutSchema, 'extension or group -> caller id and line group or gateway']] as const) {
    const entry = openapi.addSchema(`NacdDid${direction === 'in' ? 'In' : 'Out'}`, schemaOf('input', schema));
    const cap = direction === 'in' ? 'In' : 'Out';
    const did = { name: 'number', in: 'path', required: true, description: direction === 'in' ? 'The dialed number' : 'The extension or group number', schema: { type: 'string' } };
    const base = `/api/v1/nacd/did/${direction}`;
    openapi.addPath(base, 'get', { summary: `List the DID-${direction} table (${what})`, operationId: `nacdListDid${cap}`, tags: ['nacd'], security, responses: { '200': { description: 'Entries by number; stored values that no longer validate are named in invalid', content: json({ type: 'object', properties: { entries: { type: 'object', additionalProperties: entry }, invalid: { type: 'array', items: { type: 'string' } } } }) }, ...common } });
    openapi.addPath(`${base}/{number}`, 'get', { summary: `One DID-${direction} entry`, operationId: `nacdGetDid${cap}`, tags: ['nacd'], security, parameters: [did], responses: { '200': { description: 'The entry', content: json(entry) }, '404': errorResponse('No such entry'), ...bad, ...common } });
    openapi.addPath(`${base}/{number}`, 'put', { summary: `Create or replace a DID-${direction} entry`, operationId: `nacdPutDid${cap}`, tags: ['nacd'], security, parameters: [did], requestBody: { required: true, content: json(entry) }, responses: { '200': { description: 'Replaced', content: json(entry) }, '201': { description: 'Created', content: json(entry) }, ...bad, ...common } });
    openapi.addPath(`${base}/{number}`, 'delete', { summary: `Delete a DID-${direction} entry`, operationId: `nacdDeleteDid${cap}`, tags: ['nacd'], security, parameters: [did], responses: { '204': { description: 'Deleted' }, '404': errorResponse('No such entry'), ...bad, ...common } });
  }
  openapi.addPath('/api/v1/nacd/groups/{group}', 'delete', { summary: 'Delete a group', operationId: 'nacdDeleteGroup', tags: ['nacd'], security, parameters: [number], responses: { '204': { description: 'Deleted' }, ...notFound, ...bad, ...common } });
}
