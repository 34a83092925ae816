/** OpenAPI description of the extension admin API (src/admin/routes.ts). */
import type { OpenApi } from '../http/openapi.js';
import { errorResponse } from '../http/openapi.js';

const scalar = { type: ['string', 'number', 'boolean'] };

export function documentExtensionApi(openapi: OpenApi): void {
  openapi.addTag('extensions', 'SIP extensions in Redis (hash cti_exten@<domain>, seed 001)');
  openapi.addSecurityScheme('adminKey', { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'One of admin.keys (or Authorization: Bearer <key>)' });
  const extension = openapi.addSchema('Extension', {
    type: 'object',
    additionalProperties: false,
    properties: {
      param: {
        type: 'object',
        description: 'User params. freecti enforces auth-acl, user-agent-filter, allow-empty-password, sip-forbid-register and max-registrations-per-extension itself (docs/xml-curl.md); the others go to FreeSWITCH as they are.',
        properties: {
          password: { type: ['string', 'number'] },
          'a1-hash': { type: 'string', pattern: '^[0-9a-fA-F]{32}$' },
          'auth-acl': { type: 'string', examples: ['192.168.0.0/24,fd00::/8'] },
          'allow-empty-password': { type: ['boolean', 'string'] },
          'sip-forbid-register': { type: ['boolean', 'string'] },
          'user-agent-filter': { type: 'string', maxLength: 512 },
          'max-registrations-per-extension': { type: ['integer', 'string'] },
        },
        additionalProperties: scalar,
      },
      variable: { type: 'object', additionalProperties: scalar },
      attribute: {
        type: 'object',
        additionalProperties: false,
        properties: { cacheable: { type: ['string', 'integer', 'boolean'] }, 'number-alias': { type: 'string' } },
      },
    },
  });
  const item = openapi.addSchema('ExtensionItem', {
    type: 'object',
    required: ['extension', 'value'],
    properties: { extension: { type: 'string' }, value: { oneOf: [extension, { type: 'null' }] }, error: { type: 'string' } },
  });
  const security = [{ adminKey: [] }];
  const domain = { name: 'domain', in: 'path', required: true, schema: { type: 'string' } };
  const ext = { name: 'ext', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_.+*#-]{1,64}$' } };
  const common = {
    '400': errorResponse('Bad domain, extension or body (FREECTI_ERR_BAD_REQUEST names the field)'),
    '401': errorResponse('Missing or wrong admin key'),
    '503': errorResponse('Admin API disabled (no admin.keys) or Redis unavailable'),
  };
  const json = (schema: Record<string, unknown>) => ({ 'application/json': { schema } });
  openapi.addPath('/api/v1/domains/{domain}/extensions', 'get', {
    summary: 'List the extensions of a domain (HSCAN pages)',
    description: 'Pass `nextCursor` back as `cursor` until it is null. `limit` is a hint (HSCAN COUNT): a page may hold somewhat more or fewer items.',
    operationId: 'listExtensions',
    tags: ['extensions'],
    security,
    parameters: [domain, { name: 'cursor', in: 'query', schema: { type: 'string', default: '0' } }, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } }],
    responses: { '200': { description: 'One page', content: json({ type: 'object', properties: { items: { type: 'array', items: item }, nextCursor: { type: ['string', 'null'] } } }) }, ...common },
  });
  openapi.addPath('/api/v1/domains/{domain}/extensions/{ext}', 'get', {
    summary: 'One extension', operationId: 'getExtension', tags: ['extensions'], security, parameters: [domain, ext],
    responses: { '200': { description: 'The extension', content: json(item) }, '404': errorResponse('No such extension'), ...common },
  });
  openapi.addPath('/api/v1/domains/{domain}/extensions/{ext}', 'put', {
    summary: 'Create or replace an extension', operationId: 'putExtension', tags: ['extensions'], security, parameters: [domain, ext],
    requestBody: { required: true, content: json(extension) },
    responses: { '200': { description: 'Replaced', content: json(item) }, '201': { description: 'Created', content: json(item) }, ...common },
  });
  openapi.addPath('/api/v1/domains/{domain}/extensions/{ext}', 'delete', {
    summary: 'Delete an extension', operationId: 'deleteExtension', tags: ['extensions'], security, parameters: [domain, ext],
    responses: { '204': { description: 'Deleted' }, '404': errorResponse('No such extension'), ...common },
  });
}
