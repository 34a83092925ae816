/**
 * Issue 13 item 4 against a real Redis, with the recorded mod_xml_curl requests:
 * - `number-alias`: a REGISTER (sip_auth), a `bridge user/<alias>` (user_call) and a
 *   `${user_data(<alias>@...)}` (type=var) reach the user whose alias it is, as
 *   FreeSWITCH's own directory does (switch_xml.c matches `id` or `number-alias`);
 * - a stored value with keys the schema does not know is served without them, and each
 *   such key of each value is warned about once.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { validateConfig } from '../../src/config/load.js';
import { AliasIndex } from '../../src/directory/alias-index.js';
import { parseExtension } from '../../src/directory/extension-schema.js';
import { createDirectoryHandler } from '../../src/directory/handler.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { RegistrationStore } from '../../src/registrations/registration-store.js';
import { EslDecoder } from '../../src/esl/decoder.js';
import { EslEvent } from '../../src/esl/event.js';
import { parseXmlCurlForm } from '../../src/xml-curl/request.js';
import { NOT_FOUND_DOCUMENT } from '../../src/xml-curl/xml.js';
import { readEsl } from '../helpers/fixtures.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { recordedRequest, withFields } from '../xml-curl/harness.js';

const REGISTER = recordedRequest('directory-sip-auth-register-1000').body;
const USER_CALL = recordedRequest('directory-user-call-bridge-user-1001').body;
const USER_DATA = recordedRequest('directory-user-data-var-1001-from-dialplan').body;
const DOMAIN = '127.0.0.1';

describe('number-alias and unknown keys in cti_exten@<domain>', () => {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('info', new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) logs.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  }));
  const db = useRedis();

  async function setup(values: Record<string, unknown>, clock?: () => number) {
    const prefix = uniquePrefix('alias');
    const keys = new Keys(prefix);
    for (const [ext, value] of Object.entries(values)) await db.redis.hset(keys.extensions(DOMAIN), ext, JSON.stringify(value));
    const config = validateConfig({ redis: { keyPrefix: prefix } });
    const aliases = new AliasIndex(db.redis, 2_000, clock);
    const handler = createDirectoryHandler({ redis: db.redis, keys, config, logger, aliases });
    return { keys, config, handler, aliases, ask: (body: string, user: string) => handler(parseXmlCurlForm(withFields(body, { user }))) };
  }

  test('REGISTER, bridge user/<alias> and user_data by the alias get the user (id = the extension)', async () => {
    const { ask } = await setup({
      '1000': { param: { password: 'pw-1000' }, attribute: { 'number-alias': 'MyPhone' } },
      '1001': { param: { password: 'pw-1001' }, attribute: { 'number-alias': '8001' } },
    });
    for (const body of [REGISTER, USER_CALL, USER_DATA]) {
      const doc = await ask(body, 'myphone');
      assert.match(doc, /<user id="1000" number-alias="MyPhone">/, 'FreeSWITCH matches number-alias case-insensitively');
      assert.match(doc, /<param name="password" value="pw-1000"\/>/);
      assert.match(await ask(body, '8001'), /<user id="1001" number-alias="8001">/);
      assert.match(await ask(body, '1000'), /<user id="1000" number-alias="MyPhone">/, 'the extension itself still works');
      assert.equal(await ask(body, '8002'), NOT_FOUND_DOCUMENT);
    }
  });

  test('an alias added, changed or removed after the map was read takes effect once the map is read again (2 s)', async () => {
    let now = 1_000_000;
    const { keys, aliases, ask } = await setup({ '1000': { param: { password: 'pw' } } }, () => now);
    assert.equal(await ask(USER_CALL, 'desk'), NOT_FOUND_DOCUMENT, 'the first miss of the domain waits for its aliases');
    await db.redis.hset(keys.extensions(DOMAIN), '1000', JSON.stringify({ param: { password: 'pw' }, attribute: { 'number-alias': 'desk' } }));
    now += 1_999;
    assert.equal(await ask(USER_CALL, 'desk'), NOT_FOUND_DOCUMENT, 'the map is younger than 2 s: not read again');
    await aliases.idle();
    assert.equal(await ask(USER_CALL, 'desk'), NOT_FOUND_DOCUMENT);
    now += 1;
    assert.equal(await ask(USER_CALL, 'desk'), NOT_FOUND_DOCUMENT, 'a stale map answers at once and is read again meanwhile');
    await aliases.idle();
    assert.match(await ask(USER_CALL, 'desk'), /<user id="1000" number-alias="desk">/);
    // The alias moves away: the user is re-read, so the map (still naming 1000) never serves it.
    await db.redis.hset(keys.extensions(DOMAIN), '1000', JSON.stringify({ param: { password: 'pw' }, attribute: { 'number-alias': 'lobby' } }));
    assert.equal(await ask(USER_CALL, 'desk'), NOT_FOUND_DOCUMENT);
  });

  test('max-registrations-per-extension counts the devices registered by the extension and by its alias', async () => {
    const { keys, config, ask } = await setup({ '1000': { param: { password: 'pw-1000', 'max-registrations-per-extension': 1 }, attribute: { 'number-alias': 'desk' } } });
    const store = new RegistrationStore(db.redis, keys, config.gui.registration);
    // A device registered as "desk": FreeSWITCH reports it under that name.
    const recorded = EslDecoder.decodeAll(readEsl('esl-control/registration-expire-sofia-events'))
      .flatMap((m) => (m.kind === 'event' && m.event.subclass === 'sofia::register' ? [m.event] : []))[0];
    assert.ok(recorded);
    await store.apply('fs1', new EslEvent({ ...recorded.headers, username: 'desk', 'from-user': 'desk', 'call-id': 'dev-1', expires: '3600', 'Event-Date-Timestamp': String(Date.now() * 1000) }));
    const second = await ask(withFields(REGISTER, { sip_call_id: 'dev-2' }), '1000');
    assert.doesNotMatch(second, /value="pw-1000"/, 'a second device (by the extension) is refused');
    const again = await ask(withFields(REGISTER, { sip_call_id: 'dev-1' }), 'desk');
    assert.match(again, /value="pw-1000"/, 'the registered device refreshes by its alias');
  });

  test('unknown keys are served without them, one warning per key and value', async () => {
    const value = { param: { password: 'pw' }, gui: { color: 'red' }, attribute: { 'number-alias': 'desk', 'group': 'sales' }, updatedBy: 'crm' };
    assert.deepEqual(parseExtension(JSON.stringify(value)), {
      ok: true, extension: { param: { password: 'pw' }, attribute: { 'number-alias': 'desk' } }, ignored: ['gui', 'attribute.group', 'updatedBy'],
    });
    const { keys, ask } = await setup({ '1000': value });
    const before = logs.length;
    for (let i = 0; i < 3; i += 1) {
      const doc = await ask(REGISTER, '1000');
      assert.match(doc, /<user id="1000" number-alias="desk">/);
      assert.match(doc, /<param name="password" value="pw"\/>/);
      assert.doesNotMatch(doc, /red|sales|crm/);
    }
    const warned = () => logs.slice(before).filter((l) => String(l['msg']).includes('does not know')).map((l) => `${String(l['field'])} ${String(l['ignoredKey'])}`);
    assert.deepEqual(warned(), ['1000 gui', '1000 attribute.group', '1000 updatedBy'], 'three lookups, one warning per key');
    await db.redis.hset(keys.extensions(DOMAIN), '1000', JSON.stringify({ ...value, updatedBy: 'erp' }));
    await ask(REGISTER, '1000');
    assert.equal(warned().length, 6, 'a changed value is warned about again, once');
    // A known key with a wrong value still refuses.
    assert.deepEqual(parseExtension(JSON.stringify({ x: 1, attribute: { cacheable: 'soon' } })).ok, false);
  });
});

describe('number-alias held to the recorded mod_xml_curl requests', () => {
  const db = useRedis();
  // FreeSWITCH accepted this document for each of the three requests (fixtures README, xml-curl/).
  const accepted = readFileSync(new URL('../fixtures/freeswitch/xml-curl/served-directory-user-1050-alias-desk.xml', import.meta.url), 'utf8');
  const attrs = (doc: string) => ({
    user: /<user [^>]*>/.exec(doc)?.[0],
    password: /<param name="password" value="([^"]*)"/.exec(doc)?.[1],
    context: /<variable name="user_context" value="([^"]*)"/.exec(doc)?.[1],
  });

  for (const name of ['directory-sip-auth-register-alias-desk-served-user-1050', 'directory-user-data-attr-alias-desk', 'directory-user-call-originate-user-alias-desk']) {
    test(`${name}: the user FreeSWITCH accepted`, async () => {
      const prefix = uniquePrefix('alias-rec');
      const keys = new Keys(prefix);
      await db.redis.hset(keys.extensions(DOMAIN), '1050', JSON.stringify({ param: { password: 'pw-1050-alias' }, variable: { user_context: 'default' }, attribute: { 'number-alias': 'desk' } }));
      const handler = createDirectoryHandler({ redis: db.redis, keys, config: validateConfig({ redis: { keyPrefix: prefix } }), logger: createLogger('silent') });
      const request = parseXmlCurlForm(recordedRequest(name).body);
      assert.equal(request.get('user'), 'desk', 'FreeSWITCH asked by the alias');
      const doc = await handler(request);
      assert.deepEqual(attrs(doc), attrs(accepted));
    });
  }
});
