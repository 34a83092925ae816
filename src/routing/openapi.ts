/** OpenAPI description of the routes API (`/api/v1/routes`). */
import { ADMIN_SECURITY_SCHEME } from '../auth/admin-auth.js';
import { errorResponse, type OpenApi } from '../http/openapi.js';
import { APPLICATIONS } from '../fs-lang/applications.js';

export function documentRoutesApi(openapi: OpenApi): void {
  openapi.addTag('routing', 'HTTP call routing: which URL decides the dialplan of a call (docs/routing.md)');
  openapi.addSecurityScheme(ADMIN_SECURITY_SCHEME, { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'One of admin.keys (or Authorization: Bearer <key>)' });
  const action = openapi.addSchema('DialplanAction', {
    type: 'object',
    required: ['application'],
    additionalProperties: false,
    properties: { application: { type: 'string', enum: [...APPLICATIONS.keys()].sort() }, data: { type: 'string', maxLength: 4096 } },
  });
  const fields = {
    id: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    context: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'Dialplan context (Hunt-Context) served' },
    destination: { type: 'string', default: '^.*$', description: 'Regular expression on the destination number' },
    priority: { type: 'integer', default: 100, description: 'Lower first within a context' },
    url: { type: 'string', description: 'URL template, e.g. http://app/route?number=${destination_number}' },
    mode: { enum: ['inline', 'control'], default: 'inline', description: 'inline: the reply is the dialplan; control: freecti drives the call and asks again with the outcome' },
    maxSteps: { type: 'integer', default: 20, minimum: 1, maximum: 100, description: 'Control mode: most requests per call' },
    method: { enum: ['GET', 'POST'], default: 'GET' },
    body: { enum: ['form', 'json'], default: 'form', description: 'POST body: every request field' },
    connectTimeoutMs: { type: 'integer', default: 3000, minimum: 50, maximum: 30000 },
    responseTimeoutMs: { type: 'integer', default: 3000, minimum: 50, maximum: 30000 },
    allowOutbound: { type: 'boolean', default: false, description: 'Public-context routes only: let replies dial gateways/line groups/other contexts' },
    fallback: { type: 'array', items: action, default: [{ application: 'hangup', data: 'NORMAL_TEMPORARY_FAILURE' }] },
  };
  const routeIn = openapi.addSchema('RouteInput', {
    type: 'object',
    required: ['context', 'url'],
    additionalProperties: false,
    properties: { ...fields, secret: { type: 'string', minLength: 16, writeOnly: true, description: 'HMAC secret (docs/webhooks.md)' } },
  });
  const routeOut = openapi.addSchema('Route', { type: 'object', properties: { ...fields, hasSecret: { type: 'boolean' } } });
  const security = [{ [ADMIN_SECURITY_SCHEME]: [] }];
  const common = { '401': errorResponse('Missing or wrong admin key'), '503': errorResponse('No admin key configured, or Redis unavailable') };
  const idParam = { name: 'id', in: 'path', required: true, schema: fields.id };
  openapi.addPath('/api/v1/routes', 'get', {
    summary: 'List the routes',
    operationId: 'listRoutes',
    tags: ['routing'],
    security,
    responses: { '200': { description: 'The routes', content: { 'application/json': { schema: { type: 'object', properties: { routes: { type: 'array', items: routeOut } } } } } }, ...common },
  });
  openapi.addPath('/api/v1/routes/{id}', 'get', {
    summary: 'One route',
    operationId: 'getRoute',
    tags: ['routing'],
    security,
    parameters: [idParam],
    responses: { '200': { description: 'The route', content: { 'application/json': { schema: routeOut } } }, '404': errorResponse('No such route'), ...common },
  });
  openapi.addPath('/api/v1/routes/{id}', 'put', {
    summary: 'Create or replace a route',
    operationId: 'putRoute',
    tags: ['routing'],
    security,
    parameters: [idParam],
    requestBody: { required: true, content: { 'application/json': { schema: routeIn } } },
    responses: {
      '200': { description: 'Replaced', content: { 'application/json': { schema: routeOut } } },
      '201': { description: 'Created', content: { 'application/json': { schema: routeOut } } },
      '400': errorResponse('Invalid route (refused fallback application, bad URL template, ...)'),
      ...common,
    },
  });
  openapi.addPath('/api/v1/routes/{id}', 'delete', {
    summary: 'Delete a route',
    operationId: 'deleteRoute',
    tags: ['routing'],
    security,
    parameters: [idParam],
    responses: { '204': { description: 'Deleted' }, '404': errorResponse('No such route'), ...common },
  });
}
