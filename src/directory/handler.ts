/**
 * `section=directory`: users read from the Redis hash `cti_exten@<domain>` (seed 001).
 *
 * Lookups seen in the recordings (test/fixtures/freeswitch/xml-curl/):
 * - `action=sip_auth` (REGISTER, INVITE digest): the registration rules of
 *   register-policy.ts apply; a refused request gets a user FreeSWITCH will reject;
 * - `action=user_call` (`bridge user/<ext>`) and `type=var` (`${user_data(...)}`): the user.
 * Every other case answers "not found", so FreeSWITCH falls back to its static XML:
 * no `user` field (domain or gateway lookups), an unknown domain or user, a value that
 * is not valid JSON or has the wrong shape (one log line naming key and field), or
 * Redis down or slower than `directory.redisTimeoutMs` (logged, at most once a second).
 */
import type { Config } from '../config/schema.js';
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../lua-scripts.js';
import { RegistrationStore } from '../registrations/registration-store.js';
import type { XmlCurlHandler } from '../xml-curl/sections.js';
import { isXmlSafe, NOT_FOUND_DOCUMENT } from '../xml-curl/xml.js';
import { DOMAIN_NAME, EXTENSION_NAME, parseExtension } from './extension-schema.js';
import { checkSipAuth } from './register-policy.js';
import { userDocument } from './user-document.js';

export interface DirectoryDeps {
  redis: RedisClient;
  keys: Keys;
  config: Pick<Config, 'directory' | 'gui'>;
  logger: Logger;
}

class RedisTimeout extends Error {}

export function createDirectoryHandler(deps: DirectoryDeps): XmlCurlHandler {
  const { redis, keys, logger } = deps;
  const { redisTimeoutMs, dialString } = deps.config.directory;
  const registrations = new RegistrationStore(redis, keys, deps.config.gui.registration);
  let lastRedisWarn = 0;

  return async (req) => {
    const user = req.get('user');
    const domain = req.get('domain') ?? req.get('key_value');
    if (user === undefined || domain === undefined || !EXTENSION_NAME.test(user) || !DOMAIN_NAME.test(domain)) {
      return NOT_FOUND_DOCUMENT;
    }
    const key = keys.extensions(domain);
    const deadline = deadlineAfter(redisTimeoutMs);
    try {
      const raw = await deadline.race(redis.hget(key, user));
      if (raw === null) return NOT_FOUND_DOCUMENT;
      const parsed = parseExtension(raw);
      if (!parsed.ok) {
        logger.warn({ redisKey: key, field: user, reason: parsed.reason }, 'extension value in Redis is invalid; answered not found');
        return NOT_FOUND_DOCUMENT;
      }
      let refuse = false;
      if (req.get('action') === 'sip_auth') {
        const verdict = await checkSipAuth(req, parsed.extension, {
          extension: user,
          domain,
          liveContacts: () => deadline.race(registrations.liveContacts(user, domain)),
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
