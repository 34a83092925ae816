/**
 * The OpenAPI 3.1 document served at `GET /openapi.json`. buildApp makes one builder
 * per app and hands it to every route plugin (`deps.openapi`); a plugin documents its
 * own routes with `addPath` and its shared shapes with `addSchema`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorRegistry } from '../errors.js';

export type JsonSchema = Record<string, unknown>;
export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'head' | 'options';

export interface OpenApiOperation {
  summary: string;
  description?: string;
  operationId?: string;
  tags?: string[];
  parameters?: Record<string, unknown>[];
  requestBody?: Record<string, unknown>;
  responses: Record<string, Record<string, unknown>>;
  security?: Record<string, string[]>[];
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: { name: string; description: string }[];
  paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, Record<string, unknown>> };
}

export interface OpenApi {
  /** Documents one operation. Documenting the same method and path twice is a programming error. */
  addPath(path: string, method: HttpMethod, operation: OpenApiOperation): void;
  /** Adds a schema under `#/components/schemas/<name>`; returns a `$ref` to it. */
  addSchema(name: string, schema: JsonSchema): JsonSchema;
  addTag(name: string, description: string): void;
  addSecurityScheme(name: string, scheme: Record<string, unknown>): void;
  /** The document as it is now (a copy). */
  document(): OpenApiDocument;
}

export function createOpenApi(version: string): OpenApi {
  const doc: OpenApiDocument = {
    openapi: '3.1.0',
    info: {
      title: 'freecti',
      version,
      description: 'Call-center middleware for FreeSWITCH. Errors always have the body of the Error schema; the codes are listed in docs/errors.md.',
    },
    tags: [],
    paths: {},
    components: { schemas: {}, securitySchemes: {} },
  };
  const api: OpenApi = {
    addPath(path, method, operation) {
      const item = (doc.paths[path] ??= {});
      if (item[method] !== undefined) throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} is documented twice`);
      item[method] = operation;
    },
    addSchema(name, schema) {
      doc.components.schemas[name] = schema;
      return { $ref: `#/components/schemas/${name}` };
    },
    addTag(name, description) {
      if (!doc.tags.some((t) => t.name === name)) doc.tags.push({ name, description });
    },
    addSecurityScheme(name, scheme) {
      doc.components.securitySchemes[name] = scheme;
    },
    document() {
      return structuredClone(doc);
    },
  };
  api.addSchema('Error', errorSchema());
  return api;
}

/** The body of every error response (FreectiError.toJSON()). */
function errorSchema(): JsonSchema {
  return {
    type: 'object',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', enum: Object.keys(errorRegistry).map((key) => `FREECTI_ERR_${key}`) },
          message: { type: 'string' },
          details: { type: 'object' },
        },
      },
    },
  };
}

/** A response object whose body is the Error schema. */
export function errorResponse(description: string): Record<string, unknown> {
  return { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
}

/** `GET /openapi.json`. */
export const openapiRoutes: FastifyPluginAsync<{ openapi: OpenApi }> = async (app, { openapi }) => {
  openapi.addTag('meta', 'This document');
  openapi.addPath('/openapi.json', 'get', {
    summary: 'This OpenAPI 3.1 document',
    operationId: 'getOpenApi',
    tags: ['meta'],
    responses: { '200': { description: 'The document', content: { 'application/json': { schema: { type: 'object' } } } } },
  });
  app.get('/openapi.json', async () => openapi.document());
};
