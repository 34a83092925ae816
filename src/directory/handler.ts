/**
 * `section=directory`: users read from the Redis hash `cti_exten@<domain>` (seed 001).
 *
 * Lookups seen in the recordings (test/fixtures/freeswitch/xml-curl/):
 * - `action=sip_auth` (REGISTER, INVITE digest): the registration rules of
 *   register-policy.ts apply; a refused request gets a user FreeSWITCH will reject;
 * - `action=user_call` (`bridge user/<ext>`) and `type=var` (`${user_data(...)}`): the user.
 * A `user` that is no extension but some extension's `number-alias` gets that extension
 * (alias-index.ts), as FreeSWITCH's own directory does. Keys of a stored value the schema
 * does not know are left out and warned about once per key and value.
 * Every other case answers "not found", so FreeSWITCH falls back to its static XML:
 * no `user` field (domain or gateway lookups), an unknown domain or user, a value that
 * is not valid JSON or has a known key with a wrong value (one log line naming key and
 * field), or Redis down or slower than `directory.redisTimeoutMs` (logged, at most once a
 * second).
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../lua-scripts.js';
import { RegistrationStore } from '../registrations/registration-store.js';
import type { XmlCurlRequest } from '../xml-curl/request.js';
import type { XmlCurlHandler } from '../xml-curl/sections.js';
import { isXmlSafe, NOT_FOUND_DOCUMENT } from '../xml-curl/xml.js';
import { AliasIndex, aliasOf } from './alias-index.js';
import { DOMAIN_NAME, EXTENSION_NAME, parseExtension } from './extension-schema.js';
import { checkSipAuth, isRegisterMethod } from './register-policy.js';
import { userDocument } from './user-document.js';

export interface DirectoryDeps {
  redis: RedisClient;
  keys: Keys;
  config: Pick<Config, 'directory' | 'gui'>;
  logger: Logger;
  /** number-alias lookups; built here when not given. */
  aliases?: AliasIndex;
}

class RedisTimeout extends Error {}

export function createDirectoryHandler(deps: DirectoryDeps): XmlCurlHandler {
  const { redis, keys, logger } = deps;
  const { redisTimeoutMs, dialString } = deps.config.directory;
  const registrations = new RegistrationStore(redis, keys, deps.config.gui.registration);
  const aliases = deps.aliases ?? new AliasIndex(redis);
  const ignoredWarned = new WarnedOnce(IGNORED_WARNINGS_KEPT);
  let lastRedisWarn = 0;

  return async (req) => {
    const asked = req.get('user');
    const domain = req.get('domain') ?? req.get('key_value');
    if (asked === undefined || domain === undefined || !EXTENSION_NAME.test(asked) || !DOMAIN_NAME.test(domain)) {
      return NOT_FOUND_DOCUMENT;
    }
    const key = keys.extensions(domain);
    let user = asked;
    const deadline = deadlineAfter(redisTimeoutMs);
    // A REGISTER lookup reads the extension's live contacts too when it has
    // max-registrations-per-extension: ask for them in the same round trip as the extension
    // (one write to Redis, not two in a row: sofia waits for this answer before it handles
    // the next REGISTER). Unused, it costs one small HGETALL (one entry per device).
    const contacts = isRegisterAuth(req) ? deadline.race(registrations.liveContacts(asked, domain)) : undefined;
    contacts?.catch(() => undefined);
    try {
      let raw = await deadline.race(redis.hget(key, user));
      if (raw === null) {
        // Not an extension: maybe a number-alias (alias-index.ts); re-read the user it names.
        const extension = await deadline.race(aliases.extensionOf(key, asked));
        if (extension === undefined || !EXTENSION_NAME.test(extension)) return NOT_FOUND_DOCUMENT;
        raw = await deadline.race(redis.hget(key, extension));
        if (raw === null || aliasOf(raw)?.toLowerCase() !== asked.toLowerCase()) return NOT_FOUND_DOCUMENT;
        user = extension;
      }
      const parsed = parseExtension(raw);
      if (!parsed.ok) {
        logger.warn({ redisKey: key, field: user, reason: parsed.reason }, 'extension value in Redis is invalid; answered not found');
        return NOT_FOUND_DOCUMENT;
      }
      for (const ignored of parsed.ignored) {
        if (ignoredWarned.first(`${key}\0${user}\0${ignored}\0${digest(raw)}`)) {
          logger.warn({ redisKey: key, field: user, ignoredKey: ignored }, 'extension value has a key freecti does not know; served without it');
        }
      }
      let refuse = false;
      if (req.get('action') === 'sip_auth') {
        const verdict = await checkSipAuth(req, parsed.extension, {
          extension: user,
          domain,
          // FreeSWITCH reports a device under the name it registered with: count the extension's and its alias's.
          liveContacts: async () => {
            const own = await (user === asked && contacts !== undefined ? contacts : deadline.race(registrations.liveContacts(user, domain)));
            const alias = parsed.extension.attribute?.['number-alias'];
            if (alias === undefined || alias === user) return own;
            const byAlias = await deadline.race(registrations.liveContacts(alias, domain));
            const callIds = new Set([...own.callIds, ...byAlias.callIds]);
            return { count: callIds.size, callIds, addresses: new Set([...own.addresses, ...byAlias.addresses]) };
          },
        });
        if (!verdict.allow) {
          refuse = true;
          const log = { redisKey: key, field: user, method: req.get('sip_auth_method'), ip: req.get('ip'), reason: verdict.reason };
          if (verdict.misconfigured === true) logger.warn(log, 'SIP auth refused: extension misconfigured');
          else logger.info(log, 'SIP auth refused by extension policy');
        }
      }
      const doc = userDocument(domain, user, parsed.extension, { dialString, refuse });
      if (!isXmlSafe(doc)) {
        logger.warn({ redisKey: key, field: user, reason: 'a value holds characters XML cannot carry' }, 'extension value in Redis is invalid; answered not found');
        return NOT_FOUND_DOCUMENT;
      }
      return doc;
    } catch (error) {
      const now = Date.now();
      if (now - lastRedisWarn >= 1000) {
        lastRedisWarn = now;
        const reason = error instanceof RedisTimeout ? `no answer within ${redisTimeoutMs} ms` : (error as Error).message;
        logger.warn({ redisKey: key, field: user, reason }, 'Redis unavailable for a directory lookup; answered not found');
      }
      return NOT_FOUND_DOCUMENT;
    } finally {
      deadline.clear();
    }
  };
}

/** A digest REGISTER (`action=sip_auth`, `sip_auth_method=REGISTER`): the lookups max-registrations-per-extension reads contacts for. */
function isRegisterAuth(req: XmlCurlRequest): boolean {
  return req.get('action') === 'sip_auth' && isRegisterMethod(req);
}

/** How many (key, field, unknown key, value) warnings are remembered; past it the memory starts over. */
const IGNORED_WARNINGS_KEPT = 10_000;

/** Remembers what was already logged, so each unknown key of each stored value is warned about once. */
class WarnedOnce {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}
  first(id: string): boolean {
    if (this.seen.has(id)) return false;
    if (this.seen.size >= this.max) this.seen.clear();
    this.seen.add(id);
    return true;
  }
}

function digest(raw: string): string {
  return createHash('sha1').update(raw).digest('base64');
}

/** One time budget shared by every Redis call of a request. */
function deadlineAfter(ms: number): { race<T>(promise: Promise<T>): Promise<T>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeout()), ms);
  });
  expired.catch(() => undefined);
  return {
    race: <T>(promise: Promise<T>) => Promise.race([promise, expired]),
    clear: () => clearTimeout(timer),
  };
}
