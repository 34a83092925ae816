/**
 * Lua scripts live in lua/<name>-<numKeys>.lua (one script per multi-key state change).
 * Each is run with EVALSHA, falling back to EVAL when Redis does not know it yet
 * (after a restart or on a new Cluster node). Scripts are content-addressed, so two
 * freecti versions sharing one Redis never run each other's scripts.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
  readonly sha: string;
}

/** lua/ beside src/ and dist/ (one level below the package root in both). */
const defaultDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'lua');

let cache: Map<string, LuaScript> | undefined;

export function loadScripts(dir = defaultDir): Map<string, LuaScript> {
  const scripts = new Map<string, LuaScript>();
  for (const file of readdirSync(dir)) {
    const match = /^([a-z0-9-]+)-(\d+)\.lua$/.exec(file);
    if (match === null) continue;
    const lua = readFileSync(join(dir, file), 'utf8');
    const name = match[1] as string;
    scripts.set(name, { name, numberOfKeys: Number(match[2]), lua, sha: createHash('sha1').update(lua).digest('hex') });
  }
  return scripts;
}

export function getScript(name: string): LuaScript {
  cache ??= loadScripts();
  const script = cache.get(name);
  if (script === undefined) throw new Error(`no Lua script named '${name}' in ${defaultDir}`);
  return script;
}

/** Runs lua/<name>-<n>.lua with exactly n keys. */
export async function runScript(
  redis: RedisClient,
  name: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  const script = getScript(name);
  if (keys.length !== script.numberOfKeys) {
    throw new Error(`Lua script '${name}' takes ${script.numberOfKeys} keys, got ${keys.length}`);
  }
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
      return redis.eval(script.lua, keys.length, ...keys, ...args);
    }
    throw error;
  }
}
