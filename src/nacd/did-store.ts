/**
 * The DID tables in Redis: hashes `{freecti}:nacd:did:in` (field = dialed number) and
 * `{freecti}:nacd:did:out` (field = extension or group number), value = the validated
 * JSON. A stored value that no longer validates is reported, never used.
 */
import type { z } from 'zod';
import { FreectiError } from '../errors.js';
import type { Keys } from '../keys.js';
import type { RedisClient } from '../lua-scripts.js';
import { isPlainNumber } from '../dial-string/index.js';
import { didInSchema, didOutSchema, type DidIn, type DidOut } from './did-schema.js';

export class DidStore<T> {
  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly schema: z.ZodType<T>,
    readonly what: string,
  ) {}

  async find(number: string): Promise<T | null> {
    assertNumber(number, this.what);
    const raw = await this.redis.hget(this.key, number);
    return raw === null ? null : this.parseStored(number, raw);
  }

  async get(number: string): Promise<T> {
    const entry = await this.find(number);
    if (entry === null) throw new FreectiError('NOT_FOUND', `no ${this.what} entry for '${number}'`);
    return entry;
  }

  async list(): Promise<{ entries: Record<string, T>; invalid: string[] }> {
    const all = await this.redis.hgetall(this.key);
    const entries: Record<string, T> = {};
    const invalid: string[] = [];
    for (const [number, raw] of Object.entries(all)) {
      try {
        entries[number] = this.parseStored(number, raw);
      } catch {
        invalid.push(number);
      }
    }
    return { entries, invalid };
  }

  async put(number: string, input: unknown): Promise<{ entry: T; created: boolean }> {
    assertNumber(number, this.what);
    const parsed = this.schema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new FreectiError('BAD_REQUEST', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    const created = (await this.redis.hset(this.key, number, JSON.stringify(parsed.data))) === 1;
    return { entry: parsed.data, created };
  }

  async delete(number: string): Promise<boolean> {
    assertNumber(number, this.what);
    return (await this.redis.hdel(this.key, number)) === 1;
  }

  private parseStored(number: string, raw: string): T {
    try {
      return this.schema.parse(JSON.parse(raw));
    } catch (error) {
      throw new FreectiError('INTERNAL', `stored ${this.what} entry '${number}' is not valid: ${(error as Error).message.slice(0, 200)}`);
    }
  }
}

function assertNumber(number: string, what: string): void {
  if (!isPlainNumber(number)) throw new FreectiError('BAD_REQUEST', `${what}: '${String(number).slice(0, 80)}' is not a plain number`);
}

export type DidInStore = DidStore<DidIn>;
export type DidOutStore = DidStore<DidOut>;

export function didStores(redis: RedisClient, keys: Keys): { in: DidInStore; out: DidOutStore } {
  return { in: new DidStore(redis, keys.nacdDidIn(), didInSchema, 'DID in'), out: new DidStore(redis, keys.nacdDidOut(), didOutSchema, 'DID out') };
}
