/** The `routing` configuration section (docs/routing.md). */
import { z } from 'zod';
import { routeSchema } from './route-schema.js';

export const routingConfigSchema = z
  .strictObject({
    /** Serve the mod_xml_curl `dialplan` section (HTTP call routing). */
    enabled: z.boolean().default(true),
    /** Written to Redis at start-up when no route with the same id is stored yet. */
    routes: z
      .array(routeSchema)
      .max(1000)
      .default([])
      .refine((routes) => new Set(routes.map((r) => r.id)).size === routes.length, 'route ids must be unique'),
    /** How long a freecti instance reuses the route table read from Redis. */
    cacheMs: z.number().int().min(0).max(60_000).default(1000),
  })
  .prefault({});
