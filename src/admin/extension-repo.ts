/**
 * Extensions of one domain in the seed's hash `cti_exten@<domain>`. No cache: what an
 * application writes straight into Redis is what the API and FreeSWITCH see next.
 * A Redis failure becomes FREECTI_ERR_REDIS_UNAVAILABLE (503).
 */
import type { RedisClient } from '../redis.js';
import { FreectiError } from '../errors.js';
import { parseExtension, type Extension } from '../directory/extension-schema.js';
import type { Keys } from '../keys.js';

export interface ExtensionItem {
  extension: string;
  /** The stored value; null when it is not valid (see `error`). */
  value: Extension | null;
  /** Why the stored value is refused (FreeSWITCH gets "not found" for it). */
  error?: string;
}

export class ExtensionRepo {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async list(domain: string, cursor: string, limit: number): Promise<{ items: ExtensionItem[]; nextCursor: string | null }> {
    const [next, flat] = await this.guard(() => this.redis.hscan(this.keys.extensions(domain), cursor, 'COUNT', limit));
    const items: ExtensionItem[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) items.push(item(flat[i] as string, flat[i + 1] as string));
    return { items, nextCursor: next === '0' ? null : next };
  }

  async get(domain: string, extension: string): Promise<ExtensionItem | undefined> {
    const raw = await this.guard(() => this.redis.hget(this.keys.extensions(domain), extension));
    return raw === null ? undefined : item(extension, raw);
  }

  /** Returns true when the extension did not exist before. */
  async put(domain: string, extension: string, value: Extension): Promise<boolean> {
    const added = await this.guard(() => this.redis.hset(this.keys.extensions(domain), extension, JSON.stringify(value)));
    return added === 1;
  }

  async delete(domain: string, extension: string): Promise<boolean> {
    return (await this.guard(() => this.redis.hdel(this.keys.extensions(domain), extension))) === 1;
  }

  private async guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new FreectiError('REDIS_UNAVAILABLE', undefined, { cause: error });
    }
  }
}

function item(extension: string, raw: string): ExtensionItem {
  const parsed = parseExtension(raw);
  return parsed.ok ? { extension, value: parsed.extension } : { extension, value: null, error: parsed.reason };
}
