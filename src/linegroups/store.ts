/**
 * Line group configurations in Redis: hash `{freecti}:linegroups`, field = group name,
 * value = the JSON of `linegroupSchema`. Every write is validated; a stored value that
 * no longer validates (edited by hand) is reported, never used.
 */
import { FreectiError } from '../errors.js';
import type { Keys } from '../keys.js';
import { runScript, type RedisClient } from '../lua-scripts.js';
import { NAME, linegroupSchema, type Linegroup } from './schema.js';

export class LinegroupStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** The group, or LINEGROUP_NOT_FOUND; a corrupt stored value is INTERNAL with the reason. */
  async get(group: string): Promise<Linegroup> {
    assertName(group);
    const raw = await this.redis.hget(this.keys.linegroups(), group);
    if (raw === null) throw new FreectiError('LINEGROUP_NOT_FOUND', `no line group '${group}'`, { details: { group } });
    return parseStored(group, raw);
  }

  /** Every group by name (corrupt ones are left out and named in `invalid`). */
  async list(): Promise<{ groups: Record<string, Linegroup>; invalid: string[] }> {
    const all = await this.redis.hgetall(this.keys.linegroups());
    const groups: Record<string, Linegroup> = {};
    const invalid: string[] = [];
    for (const [name, raw] of Object.entries(all)) {
      try {
        groups[name] = parseStored(name, raw);
      } catch {
        invalid.push(name);
      }
    }
    return { groups, invalid };
  }

  /** Validates and stores; returns the group with its defaults filled in. Throws ZodError when invalid. */
  async put(group: string, input: unknown): Promise<{ group: Linegroup; created: boolean }> {
    assertName(group);
    const parsed = linegroupSchema.parse(input);
    const created = (await this.redis.hset(this.keys.linegroups(), group, JSON.stringify(parsed))) === 1;
    return { group: parsed, created };
  }

  /**
   * Changes a stored group with `change` (validated like put) without losing a concurrent
   * write: the new value is stored only if the group is still what was read, else it is
   * read again (up to 5 times, then CONFLICT). LINEGROUP_NOT_FOUND when there is none.
   */
  async update(group: string, change: (current: Linegroup) => unknown): Promise<Linegroup> {
    assertName(group);
    for (let attempt = 0; attempt < 5; attempt++) {
      const raw = await this.redis.hget(this.keys.linegroups(), group);
      if (raw === null) throw new FreectiError('LINEGROUP_NOT_FOUND', `no line group '${group}'`, { details: { group } });
      const next = linegroupSchema.parse(change(parseStored(group, raw)));
      if ((await runScript(this.redis, 'hash-field-cas', [this.keys.linegroups()], [group, raw, JSON.stringify(next)])) === 1) return next;
    }
    throw new FreectiError('LINEGROUP_CONFLICT', `line group '${group}' kept changing while it was updated; try again`, { details: { group } });
  }

  /** True when the group existed. Line state (quarantine, in-flight slots) expires on its own. */
  async delete(group: string): Promise<boolean> {
    assertName(group);
    return (await this.redis.hdel(this.keys.linegroups(), group)) === 1;
  }
}

export function assertName(group: string): void {
  if (!NAME.test(group)) {
    throw new FreectiError('BAD_REQUEST', `line group name '${group.slice(0, 80)}' is not valid (letters and digits of any script, _ . - only, 1-64 chars)`);
  }
}

function parseStored(group: string, raw: string): Linegroup {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new FreectiError('INTERNAL', `line group '${group}' in Redis is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const result = linegroupSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new FreectiError('INTERNAL', `line group '${group}' in Redis is not valid: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`);
  }
  return result.data;
}
