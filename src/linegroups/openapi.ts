/** OpenAPI description of the line group API (`/api/v1/linegroups`). */
import { z } from 'zod';
import { ADMIN_SECURITY_SCHEME } from '../auth/admin-auth.js';
import { errorResponse, type OpenApi } from '../http/openapi.js';
import { linegroupSchema } from './schema.js';

export function documentLinegroupsApi(openapi: OpenApi): void {
  openapi.addTag('linegroups', 'Line groups: gateways with strategies, limits, failover and quarantine (docs/linegroups.md)');
  openapi.addSecurityScheme(ADMIN_SECURITY_SCHEME, { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'One of admin.keys (or Authorization: Bearer <key>)' });
  const { $schema: _in, ...inputSchema } = z.toJSONSchema(linegroupSchema, { io: 'input' }) as Record<string, unknown>;
  const { $schema: _out, ...outputSchema } = z.toJSONSchema(linegroupSchema, { io: 'output' }) as Record<string, unknown>;
  const input = openapi.addSchema('LinegroupInput', inputSchema);
  const group = openapi.addSchema('Linegroup', outputSchema);
  const status = openapi.addSchema('LineStatus', {
    type: 'object',
    properties: {
      id: { type: 'string' },
      active: { type: 'integer', description: 'Calls in progress on the line, all instances' },
      failures: { type: 'integer', description: 'Line failures in a row' },
      quarantined: { type: 'boolean' },
      quarantinedUntil: { type: ['integer', 'null'], description: 'ms epoch (Redis clock)' },
    },
  });
  const security = [{ [ADMIN_SECURITY_SCHEME]: [] }];
  const common = { '401': errorResponse('Missing or wrong admin key'), '503': errorResponse('No admin key configured, or Redis unavailable') };
  const param = { name: 'group', in: 'path', required: true, schema: { type: 'string', pattern: '^[\\p{L}\\p{M}\\p{N}_.-]{1,64}$' } };
  const json = (schema: unknown): Record<string, unknown> => ({ 'application/json': { schema } });
  openapi.addPath('/api/v1/linegroups', 'get', {
    summary: 'List the line groups',
    operationId: 'listLinegroups',
    tags: ['linegroups'],
    security,
    responses: {
      '200': {
        description: 'Every group by name; `invalid` names stored values that no longer validate',
        content: json({ type: 'object', properties: { linegroups: { type: 'object', additionalProperties: group }, invalid: { type: 'array', items: { type: 'string' } } } }),
      },
      ...common,
    },
  });
  openapi.addPath('/api/v1/linegroups/{group}', 'get', {
    summary: 'One line group',
    operationId: 'getLinegroup',
    tags: ['linegroups'],
    security,
    parameters: [param],
    responses: { '200': { description: 'The group', content: json(group) }, '404': errorResponse('No such group'), ...common },
  });
  openapi.addPath('/api/v1/linegroups/{group}/status', 'get', {
    summary: 'Live state of each line of a group',
    operationId: 'getLinegroupStatus',
    tags: ['linegroups'],
    security,
    parameters: [param],
    responses: { '200': { description: 'Per line', content: json({ type: 'object', properties: { lines: { type: 'array', items: status } } }) }, '404': errorResponse('No such group'), ...common },
  });
  openapi.addPath('/api/v1/linegroups/{group}', 'put', {
    summary: 'Create or replace a line group',
    operationId: 'putLinegroup',
    tags: ['linegroups'],
    security,
    parameters: [param],
    requestBody: { required: true, content: json(input) },
    responses: {
      '200': { description: 'Replaced (defaults filled in)', content: json(group) },
      '201': { description: 'Created (defaults filled in)', content: json(group) },
      '400': errorResponse('Invalid group'),
      ...common,
    },
  });
  openapi.addPath('/api/v1/linegroups/{group}', 'delete', {
    summary: 'Delete a line group',
    operationId: 'deleteLinegroup',
    tags: ['linegroups'],
    security,
    parameters: [param],
    responses: { '204': { description: 'Deleted' }, '404': errorResponse('No such group'), ...common },
  });
}
