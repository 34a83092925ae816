/**
 * The one configuration schema. Every setting has a default; unknown keys are refused
 * so that a typo stops the start with a clear message. docs/configuration.md lists them.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { routingConfigSchema } from '../routing/config-schema.js';
import { ctiCurlConfigSchema } from '../cti-curl/config-schema.js';
import { nacdConfigSchema } from '../nacd/config-schema.js';
import { fsConfigSchema } from '../fs-config/config-schema.js';
import { acdConfigSchema } from '../acd/config.js';
import { securityConfigSchema } from '../fs-lang/policy-options.js';
import { DEFAULT_ALLOWED_URLS, urlPrefixProblem } from '../bridge/allowed-urls.js';

const port = z.number().int().min(1).max(65535);
const host = z.string().min(1);
const durationMs = z.number().int().min(1).max(24 * 3600 * 1000);

/** `a.b.c.d[/n]` or an IPv6 address with an optional `/n` within the family's bits. */
function isCidr(text: string): boolean {
  const [address = '', bits, extra] = text.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

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
      /** A command without an answer after this long fails (FREECTI_ERR_REDIS_UNAVAILABLE) instead of waiting for a hung server. */
      commandTimeoutMs: z.number().int().min(10).max(60_000).default(2_000),
      /** Redis Sentinel: the sentinels asked for the master named `name` (credentials and TLS of the master from `url`). */
      sentinels: z.array(z.strictObject({ host, port })).min(1).optional(),
      /** Sentinel: the master's name (`sentinel monitor <name> ...`). */
      name: z.string().min(1).optional(),
      /** Sentinel: password of the sentinels themselves (`requirepass` in sentinel.conf), if any. */
      sentinelPassword: z.string().min(1).optional(),
      /** Redis Cluster: seed nodes (any few masters or replicas; the rest is discovered). Credentials and TLS from `url`. */
      cluster: z.array(z.strictObject({ host, port })).min(1).optional(),
    })
    .refine((r) => r.sentinels === undefined || r.cluster === undefined, { message: 'redis.sentinels and redis.cluster exclude each other', path: ['cluster'] })
    .refine((r) => r.sentinels === undefined || r.name !== undefined, { message: 'redis.sentinels needs redis.name (the master name the sentinels monitor)', path: ['name'] })
    .refine((r) => r.sentinels !== undefined || (r.name === undefined && r.sentinelPassword === undefined), { message: 'only with redis.sentinels', path: ['name'] })
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
      /** Probe a node's connection with `api status` after this long without traffic; 0 = never. */
      heartbeatIntervalMs: z.number().int().min(0).max(3600 * 1000).default(30_000),
      reconnect: z
        .strictObject({
          initialDelayMs: durationMs.default(250),
          maxDelayMs: durationMs.default(30_000),
        })
        .prefault({}),
    })
    .prefault({}),
  // Each field has its own default: a section that sets only `port` keeps the default host.
  http: z.strictObject({ host: host.default('127.0.0.1'), port: port.default(8088) }).prefault({}),
  /** The outbound event socket FreeSWITCH's `socket` app connects to (docs/bridge.md). */
  eslOutbound: z
    .strictObject({
      host: host.default('127.0.0.1'),
      port: port.default(8084),
      /** Only these peer addresses (CIDR, IPv4/IPv6) may connect; others get no byte. */
      allowFrom: z.array(z.string().refine(isCidr, 'not an IPv4/IPv6 address or CIDR')).min(1).default(['127.0.0.1/8', '::1/128']),
      /** Most sessions + pending connections at once; more are closed at once. */
      maxSessions: z.number().int().min(1).max(1_000_000).default(2000),
      /** After a channel's disconnect-notice, read its last events at most this long, then close (docs/bridge.md). */
      lingerMs: z.number().int().min(100).max(60_000).default(5000),
    })
    .prefault({}),
  /** The one HTTP agent of every webhook: routing, control mode, cti_bridge (docs/webhooks.md). */
  webhook: z
    .strictObject({
      /** Connections per origin (scheme + host + port) at most. */
      connectionsPerOrigin: z.number().int().min(1).max(1024).default(32),
      /** An idle keep-alive connection is closed after this long; an origin without connections keeps nothing. */
      idleMs: z.number().int().min(100).max(600_000).default(4_000),
      /** A TCP (+TLS) connect attempt is abandoned after this long; a request does not wait for it (it fails after its own connect timeout). */
      maxConnectMs: z.number().int().min(50).max(60_000).default(30_000),
    })
    .prefault({}),
  /** cti_bridge (docs/bridge.md). */
  bridge: z
    .strictObject({
      /** URL prefixes a cti_bridge URL must be under (parsed: scheme, host, port, path). */
      allowedUrls: z
        .array(
          z.string().superRefine((text, ctx) => {
            const problem = urlPrefixProblem(text);
            if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
          }),
        )
        .default([...DEFAULT_ALLOWED_URLS]),
    })
    .prefault({}),
  cli: z
    .strictObject({
      /** The seed's single shared key (`/cli?key=`). Unset: the CLI refuses every call. */
      key: z.string().min(8, 'must be at least 8 characters').optional(),
      /** What the single `key` may run: command names or globs; `*` = every command of the allow-list (docs/security.md). */
      keyAllow: z.array(z.string().regex(/^[A-Za-z0-9_*:-]{1,64}$/)).min(1).default(['*']),
      /** Rate limit of the single `key` (requests per minute, 0 = none). */
      keyRatePerMinute: z.number().int().min(0).max(1_000_000).default(600),
      /** Several keys, each with its own commands, source addresses and rate (docs/cli.md). */
      keys: z
        .array(
          z.strictObject({
            id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only (1-64 chars)'),
            key: z.string().min(16, 'must be at least 16 characters'),
            /** Command names or globs (`uuid_*`, `*`): globs match commands of the allow-list only; anything else by exact name. */
            allow: z.array(z.string().regex(/^[A-Za-z0-9_*:-]{1,64}$/)).min(1),
            /** Only these source addresses (CIDR) may use the key; unset = any. */
            sourceCidrs: z.array(z.string().refine(isCidr, 'not an IPv4/IPv6 address or CIDR')).min(1).optional(),
            /** Requests per minute (0 = none); counted in Redis across instances. */
            ratePerMinute: z.number().int().min(0).max(1_000_000).default(600),
          }),
        )
        .default([]),
      /**
       * How long /cli waits for a slow command that has no timeout of its own (it runs as
       * bgapi; originate waits for its own originate timeout instead), ms.
       */
      slowCommandWaitMs: z.number().int().min(1000).max(24 * 3600 * 1000).default(60_000),
      /** Longest accepted `cmd` + `arg`, in characters. */
      maxCommandLength: z.number().int().min(64).max(65_536).default(8_192),
      /** Also append every audited call to a Redis stream capped at this length (0 = off). */
      auditStreamMaxLen: z.number().int().min(0).max(10_000_000).default(0),
      /** WebSocket event stream: a client with more unsent bytes than this is dropped (close 4008). */
      eventStreamMaxBufferedBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(1024 * 1024),
    })
    .prefault({}),
  /** The mod_xml_curl endpoint `POST /freeswitch/xml` (it hands out SIP passwords). */
  xmlCurl: z
    .strictObject({
      /** Only these addresses (CIDR, IPv4/IPv6) may ask; other requests get 403. */
      allowFrom: z.array(z.string().refine(isCidr, 'not an IPv4/IPv6 address or CIDR')).min(1).default(['127.0.0.1/8', '::1/128']),
      /** `user:password` required as HTTP basic auth (xml_curl.conf.xml `gateway-credentials`). */
      credentials: z.string().regex(/^[^:\s]+:\S+$/, 'must be user:password').optional(),
    })
    .prefault({}),
  /** mod_xml_curl directory answered from Redis (seed 001, docs/xml-curl.md). */
  directory: z
    .strictObject({
      /** Longest wait for Redis before answering "not found" (FreeSWITCH then uses its static XML). */
      redisTimeoutMs: z.number().int().min(10).max(5_000).default(300),
      /** The `dial-string` param served with every user, so that `user/<ext>` dials work. */
      dialString: z
        .string()
        .min(1)
        .default('{^^:sip_invite_domain=${dialed_domain}:presence_id=${dialed_user}@${dialed_domain}}${sofia_contact(*/${dialed_user}@${dialed_domain})}'),
    })
    .prefault({}),
  /** The seed's cti.json "gui": registration and call state written to Redis. */
  gui: z
    .strictObject({
      registration: z
        .strictObject({
          hash: z.string().min(1).default('registrations'),
          channel: z.string().default(''),
          list: z.string().default(''),
          /** LTRIM bound of `list`. */
          listMax: z.number().int().min(1).max(1_000_000).default(1000),
          /** Hash field: the bare extension (seed) or `<ext>@<domain>` (several domains). */
          field: z.enum(['extension', 'extension@domain']).default('extension'),
        })
        .prefault({}),
      call: z
        .strictObject({
          fields: z
            .array(z.string().min(1).max(128))
            .max(64)
            .default(['Caller-Destination-Number', 'Caller-Caller-ID-Number', 'Caller-Callee-ID-Number', 'Caller-Profile-Created-Time', 'Caller-Channel-Answered-Time']),
          hash: z.string().min(1).default('calls'),
          channel: z.string().default(''),
          list: z.string().default(''),
          listMax: z.number().int().min(1).max(1_000_000).default(1000),
          field: z.enum(['extension', 'extension@domain']).default('extension'),
          /**
           * After an extension's last live call ends: 'keep' its record with current = the
           * ended call, notify = hangup, activity = [] (seed 001: hangup is one of the
           * states a reader sees), or 'delete' the field.
           */
          onLastHangup: z.enum(['keep', 'delete']).default('keep'),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Extension admin REST API. No key = the API answers 503 ADMIN_DISABLED. */
  admin: z
    .strictObject({
      keys: z.array(z.string().min(16, 'admin keys must be at least 16 characters')).default([]),
    })
    .prefault({}),
  /** One freecti instance consumes a node's events at a time (a lease per node in Redis). */
  cluster: z
    .strictObject({
      leaseTtlMs: durationMs.default(10_000),
      /** Must be below leaseTtlMs, or a lease expires between two renewals and nodes change hands. */
      renewIntervalMs: durationMs.default(3_000),
      /**
       * Node events waiting for their Redis write, per node, at most; while Redis is slow,
       * more are dropped (counted, logged) and the node is reconciled once Redis caught up.
       */
      stateQueueMax: z.number().int().min(10).max(1_000_000).default(5_000),
    })
    .refine((c) => c.renewIntervalMs < c.leaseTtlMs, { message: 'must be less than cluster.leaseTtlMs (a lease would expire before it is renewed)', path: ['renewIntervalMs'] })
    .prefault({}),
  /** HTTP call routing (seed 000, docs/routing.md). */
  routing: routingConfigSchema,
  /** mod_cti's `cti_curl` on the outbound socket (seed 000, docs/cti-curl.md). */
  ctiCurl: ctiCurlConfigSchema,
  /** What may reach FreeSWITCH from keys, replies and originate strings (docs/security.md). */
  security: securityConfigSchema,
  /** Inputs of `freecti fs-config` (docs/routing.md, "FreeSWITCH configuration"). */
  fsConfig: fsConfigSchema,
  /** ACD queues and agents seeded into Redis at start, engine settings (docs/acd.md). */
  acd: acdConfigSchema,
  /** mod_nacd's HTTP callflow: groups seeded into Redis, digit sounds, survey and fallback prompts (docs/nacd.md). */
  nacd: nacdConfigSchema,
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type FsNodeConfig = z.infer<typeof fsNodeSchema>;
export type ConfigInput = z.input<typeof configSchema>;
