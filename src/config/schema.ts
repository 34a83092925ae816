/**
 * The one configuration schema. Every setting has a default; unknown keys are refused
 * so that a typo stops the start with a clear message. docs/configuration.md lists them.
 */
import { z } from 'zod';

const port = z.number().int().min(1).max(65535);
const host = z.string().min(1);
const durationMs = z.number().int().min(1).max(24 * 3600 * 1000);

export const listenSchema = z.strictObject({ host: host, port: port });

export const fsNodeSchema = z.strictObject({
  /** Name shown in /health, metrics and used by `node=` in the CLI. */
  name: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, _ . : - only (1-64 chars)'),
  host: host,
  port: port,
  password: z.string().min(1).regex(/^[^\r\n]*$/, 'must not contain a line break'),
});

export const configSchema = z.strictObject({
  redis: z
    .strictObject({
      url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').default('redis://127.0.0.1:6379'),
      /** Prefix of every key freecti writes (the seed's own key names follow it). Empty by default. */
      keyPrefix: z.string().max(64).default(''),
    })
    .prefault({}),
  freeswitch: z
    .strictObject({
      nodes: z.array(fsNodeSchema).min(1).default([{ name: '127.0.0.1:8021', host: '127.0.0.1', port: 8021, password: 'ClueCon' }]),
      /** Event format subscribed on inbound connections. */
      eventFormat: z.enum(['plain', 'json']).default('plain'),
      /** Default timeout for one ESL command (api, sendmsg...). */
      commandTimeoutMs: durationMs.default(10_000),
      /** Timeout for TCP connect + auth to a node. */
      connectTimeoutMs: durationMs.default(5_000),
      reconnect: z
        .strictObject({
          initialDelayMs: durationMs.default(250),
          maxDelayMs: durationMs.default(30_000),
        })
        .prefault({}),
    })
    .prefault({}),
  http: listenSchema.prefault({ host: '127.0.0.1', port: 8088 }),
  eslOutbound: listenSchema.prefault({ host: '127.0.0.1', port: 8084 }),
  cli: z
    .strictObject({
      /** The seed's single shared key (`/cli?key=`). Unset: the CLI refuses every call. */
      key: z.string().min(8, 'must be at least 8 characters').optional(),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type FsNodeConfig = z.infer<typeof fsNodeSchema>;
export type ConfigInput = z.input<typeof configSchema>;
