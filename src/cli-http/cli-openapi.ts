/** OpenAPI description of `GET /cli` and the key security schemes shared with the call-control API. */
import { errorResponse, type OpenApi } from '../http/openapi.js';

export function addKeySchemes(openapi: OpenApi): void {
  openapi.addSecurityScheme('cliKeyHeader', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  openapi.addSecurityScheme('cliKeyBearer', { type: 'http', scheme: 'bearer' });
  openapi.addSecurityScheme('cliKeyQuery', { type: 'apiKey', in: 'query', name: 'key' });
}

export const keySecurity = [{ cliKeyHeader: [] }, { cliKeyBearer: [] }, { cliKeyQuery: [] }];

export function cliOpenApi(openapi: OpenApi): void {
  addKeySchemes(openapi);
  openapi.addTag('cli', 'HTTP CLI (seed 003): run FreeSWITCH api commands');
  const text = { 'text/plain': { schema: { type: 'string' } } };
  openapi.addPath('/cli', 'get', {
    summary: 'Run one FreeSWITCH api command (or bgapi, or cti_originate) and return its text',
    description:
      'Parameters may be encoded in any style (`+` or `%20` for spaces, raw characters). `cmd=bgapi&arg=<command> <args>` answers ' +
      '`+OK Job-UUID: <uuid>\\n`. FreeSWITCH errors (`-ERR ...`) are HTTP 200 with `X-Freecti-Result: err`. ' +
      'Dangerous commands (docs/cli.md) need an explicit grant.',
    operationId: 'runCli',
    tags: ['cli'],
    security: keySecurity,
    parameters: [
      { name: 'key', in: 'query', required: false, schema: { type: 'string' }, description: 'The CLI key (or X-API-Key / Bearer)' },
      { name: 'cmd', in: 'query', required: true, schema: { type: 'string' }, description: 'FreeSWITCH command, e.g. status, bgapi, cti_originate' },
      { name: 'arg', in: 'query', required: false, schema: { type: 'string' }, description: 'The command arguments' },
      { name: 'node', in: 'query', required: false, schema: { type: 'string' }, description: 'FreeSWITCH node name (default: first connected)' },
    ],
    responses: {
      '200': { description: 'The command output exactly as FreeSWITCH wrote it', content: text },
      '400': errorResponse('Missing cmd, control characters, malformed cti_originate, too long'),
      '401': errorResponse('Missing or wrong key'),
      '403': errorResponse('Command or source address not allowed for this key'),
      '404': errorResponse('Unknown node'),
      '429': errorResponse('Rate limit of the key reached'),
      '503': errorResponse('FreeSWITCH node not connected, or no key configured'),
      '504': errorResponse('FreeSWITCH did not answer in time'),
    },
  });
}
