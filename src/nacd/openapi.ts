/** OpenAPI description of the nacd groups API (`/api/v1/nacd/groups`), schemas from the zod validators. */
import { z } from 'zod';
import { ADMIN_SECURITY_SCHEME } from '../auth/admin-auth.js';
import { errorResponse, type JsonSchema, type OpenApi } from '../http/openapi.js';
import { groupSchema } from './group-schema.js';

function schemaOf(io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(groupSchema, { io }) as Record<string, unknown>;
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
  openapi.addPath('/api/v1/nacd/groups/{group}', 'delete', { summary: 'Delete a group', operationId: 'nacdDeleteGroup', tags: ['nacd'], security, parameters: [number], responses: { '204': { description: 'Deleted' }, ...notFound, ...bad, ...common } });
}
