/**
 * nacd groups in Redis: hash `{freecti}:nacd:groups`, field = group number, value = the
 * JSON of groupSchema. Every write is validated; a stored value that no longer validates
 * (edited by hand) is reported, never used.
 */
import { FreectiError } from '../errors.js';
import type { Keys } from '../keys.js';
import type { RedisClient } from '../lua-scripts.js';
import { GROUP_NUMBER, groupSchema, type NacdGroup } from './group-schema.js';

export class NacdGroupStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** The group, or null when none has this number; a corrupt stored value throws INTERNAL. */
  async find(number: string): Promise<NacdGroup | null> {
    assertGroupNumber(number);
    const raw = await this.redis.hget(this.keys.nacdGroups(), number);
    return raw === null ? null : parseStored(number, raw);
  }

  async get(number: string): Promise<NacdGroup> {
    const group = await this.find(number);
    if (group === null) throw new FreectiError('NACD_GROUP_NOT_FOUND', `no nacd group '${number}'`, { details: { group: number } });
    return group;
  }

  async list(): Promise<{ groups: Record<string, NacdGroup>; invalid: string[] }> {
    const all = await this.redis.hgetall(this.keys.nacdGroups());
    const groups: Record<string, NacdGroup> = {};
    const invalid: string[] = [];
    for (const [number, raw] of Object.entries(all)) {
      try {
        groups[number] = parseStored(number, raw);
      } catch {
        invalid.push(number);
      }
    }
    return { groups, invalid };
  }

  /** Validates and stores; returns the group with its defaults. Throws BAD_REQUEST when invalid. */
  async put(number: string, input: unknown): Promise<{ group: NacdGroup; created: boolean }> {
    assertGroupNumber(number);
    const parsed = groupSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new FreectiError('BAD_REQUEST', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    const created = (await this.redis.hset(this.keys.nacdGroups(), number, JSON.stringify(parsed.data))) === 1;
    return { group: parsed.data, created };
  }

  /** Stores only when the number has no group yet (config seeding: REST changes win). */
  async seed(number: string, group: NacdGroup): Promise<boolean> {
    assertGroupNumber(number);
    return (await this.redis.hsetnx(this.keys.nacdGroups(), number, JSON.stringify(group))) === 1;
  }

  async delete(number: string): Promise<boolean> {
    assertGroupNumber(number);
    return (await this.redis.hdel(this.keys.nacdGroups(), number)) === 1;
  }
}

export function assertGroupNumber(number: string): void {
  if (!GROUP_NUMBER.test(number)) throw new FreectiError('BAD_REQUEST', `nacd group number '${number.slice(0, 80)}' is not valid (letters, digits, _ . + -, 1-64 chars)`);
}

function parseStored(number: string, raw: string): NacdGroup {
  try {
    return groupSchema.parse(JSON.parse(raw));
  } catch (error) {
    throw new FreectiError('INTERNAL', `stored nacd group '${number}' is not valid: ${(error as Error).message.slice(0, 200)}`);
  }
}
