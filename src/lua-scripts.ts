/**
 * Lua scripts live in lua/<name>-<numKeys>.lua (one script per multi-key state change);
 * lua/<name>-<n>+.lua takes at least n keys, the caller adds more after them (a script
 * whose keys depend on the data, e.g. one key per field a reconcile touches: every key a
 * script touches is passed in KEYS, so Redis Cluster can check the slot).
 *
 * Each script is defined on a client with ioredis `defineCommand` the first time it runs
 * there: ioredis sends EVALSHA and falls back to EVAL when the server does not know it yet
 * (after a restart, a failover, or on a Cluster node that never ran it). Scripts are
 * content-addressed, so two freecti versions sharing one Redis never run each other's.
 * The same call works on a single server, a Sentinel master and a Cluster client (where
 * every key of one call must be in one slot: src/keys.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redisError, type RedisClient } from './redis.js';

export type { RedisClient } from './redis.js';

export interface LuaScript {
  readonly name: string;
  /** Keys the script takes (at least this many when `variadic`). */
  readonly numberOfKeys: number;
  /** lua/<name>-<n>+.lua: more keys may follow the first n. */
  readonly variadic: boolean;
  readonly lua: string;
  readonly sha: string;
}

/** lua/ beside src/ and dist/ (one level below the package root in both). */
const defaultDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'lua');

let cache: Map<string, LuaScript> | undefined;

export function loadScripts(dir = defaultDir): Map<string, LuaScript> {
  const scripts = new Map<string, LuaScript>();
  for (const file of readdirSync(dir)) {
    const match = /^([a-z0-9-]+)-(\d+)(\+?)\.lua$/.exec(file);
    if (match === null) continue;
    const lua = readFileSync(join(dir, file), 'utf8');
    const name = match[1] as string;
    scripts.set(name, { name, numberOfKeys: Number(match[2]), variadic: match[3] === '+', lua, sha: createHash('sha1').update(lua).digest('hex') });
  }
  return scripts;
}

export function getScript(name: string): LuaScript {
  cache ??= loadScripts();
  const script = cache.get(name);
  if (script === undefined) throw new Error(`no Lua script named '${name}' in ${defaultDir}`);
  return script;
}

type ScriptCommand = (...args: (string | number)[]) => Promise<unknown>;

/** The commands defined on each client (by command name). */
const defined = new WeakMap<RedisClient, Set<string>>();

/** The ioredis command name of a script (content-addressed: a changed file is a new command). */
function commandName(script: LuaScript): string {
  return `freecti_${script.name.replaceAll('-', '_')}_${script.sha.slice(0, 12)}`;
}

/** Defines the script on this client once (ioredis `defineCommand`) and returns its command. */
function command(redis: RedisClient, script: LuaScript): ScriptCommand {
  const name = commandName(script);
  let names = defined.get(redis);
  if (names === undefined) {
    names = new Set();
    defined.set(redis, names);
  }
  if (!names.has(name)) {
    // Variadic scripts get the key count as their first argument (ioredis: no numberOfKeys).
    redis.defineCommand(name, script.variadic ? { lua: script.lua } : { lua: script.lua, numberOfKeys: script.numberOfKeys });
    names.add(name);
  }
  const fn = (redis as unknown as Record<string, ScriptCommand | undefined>)[name];
  if (typeof fn !== 'function') throw new Error(`Lua script '${script.name}' is not defined on this client`);
  return fn.bind(redis);
}

/**
 * Runs lua/<name>-<n>.lua with exactly n keys (lua/<name>-<n>+.lua: at least n). A Redis
 * that does not answer (closed, timed out, failing over) rejects with
 * FREECTI_ERR_REDIS_UNAVAILABLE; an error the script returns is passed on as it is.
 */
export async function runScript(
  redis: RedisClient,
  name: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  const script = getScript(name);
  if (script.variadic ? keys.length < script.numberOfKeys : keys.length !== script.numberOfKeys) {
    throw new Error(`Lua script '${name}' takes ${script.variadic ? 'at least ' : ''}${script.numberOfKeys} keys, got ${keys.length}`);
  }
  const run = command(redis, script);
  try {
    return await (script.variadic ? run(keys.length, ...keys, ...args) : run(...keys, ...args));
  } catch (error) {
    throw redisError(error);
  }
}
