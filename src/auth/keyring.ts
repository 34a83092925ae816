/**
 * The keys that may use the HTTP CLI, the typed call-control API and the event stream.
 *
 * - `cli.key` (env FREECTI_CLI_KEY), the seed's single key, becomes the entry `default`
 *   allowed `cli.keyAllow` (default `['*']`: every command of the allow-list);
 * - each `cli.keys[]` entry has its own commands, source CIDRs and rate;
 * - `admin.keys` may use the typed API and the event stream (`allow: ['*']`), never
 *   the raw CLI.
 * A presented key is hashed (SHA-256) and compared with every entry's digest with
 * crypto.timingSafeEqual, without stopping at the first match, so neither the
 * comparison nor the loop tells how much of a key was right.
 */
import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { Config } from '../config/schema.js';
import { FreectiError } from '../errors.js';
import type { FsPolicy } from '../fs-lang/policy.js';
import { KeyGrants } from './key-grants.js';
import { secretDigest } from '../secret-digest.js';

export interface KeyEntry {
  readonly id: string;
  readonly grants: KeyGrants;
  /** Requests per minute, 0 = unlimited. */
  readonly ratePerMinute: number;
  /** Undefined = any source address. */
  readonly sources: BlockList | undefined;
  /** Admin keys may not use the raw CLI. */
  readonly cli: boolean;
}

interface StoredKey {
  readonly digest: Buffer;
  readonly entry: KeyEntry;
}

export function buildBlockList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', bits] = cidr.split('/');
    const family = isIP(address);
    if (family === 0) throw new FreectiError('CONFIG_INVALID', `config cli.keys: '${cidr}' is not an address or CIDR`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
      throw new FreectiError('CONFIG_INVALID', `config cli.keys: '${cidr}' has a bad prefix length`);
    }
    list.addSubnet(address, prefix, type);
  }
  return list;
}

/** True when `ip` (IPv4, IPv6 or IPv4-mapped IPv6) is inside the list. */
export function sourceAllowed(list: BlockList, ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped?.[1] ?? ip;
  const family = isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class Keyring {
  private readonly keys: StoredKey[];

  constructor(config: Pick<Config, 'cli'> & { admin?: { keys: readonly string[] } }, policy: FsPolicy) {
    this.keys = [];
    const { cli } = config;
    if (cli.key !== undefined) {
      this.add(cli.key, { id: 'default', grants: new KeyGrants(cli.keyAllow, policy), ratePerMinute: cli.keyRatePerMinute, sources: undefined, cli: true });
    }
    for (const k of cli.keys) {
      const sources = k.sourceCidrs === undefined ? undefined : buildBlockList(k.sourceCidrs);
      this.add(k.key, { id: k.id, grants: new KeyGrants(k.allow, policy), ratePerMinute: k.ratePerMinute, sources, cli: true });
    }
    (config.admin?.keys ?? []).forEach((key, i) => {
      this.add(key, { id: `admin-${i + 1}`, grants: new KeyGrants(['*'], policy), ratePerMinute: 0, sources: undefined, cli: false });
    });
  }

  get size(): number {
    return this.keys.length;
  }

  private add(key: string, entry: KeyEntry): void {
    if (this.keys.some((k) => k.entry.id === entry.id)) throw new FreectiError('CONFIG_INVALID', `config cli.keys: id '${entry.id}' is used twice`);
    this.keys.push({ digest: secretDigest(key), entry });
  }

  /** The entry of a presented key, or undefined. Constant time in the key's content. */
  find(presented: string | undefined): KeyEntry | undefined {
    const candidate = secretDigest(presented ?? '');
    let match: KeyEntry | undefined;
    for (const stored of this.keys) {
      if (timingSafeEqual(stored.digest, candidate) && presented !== undefined && presented !== '') match ??= stored.entry;
    }
    return match;
  }
}
