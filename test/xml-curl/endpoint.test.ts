import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import type { AppPlugin } from '../../src/http/app.js';
import { fixturePath } from '../helpers/fixtures.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { makeApp, recordedRequest, sendRaw, withFields } from './harness.js';

const NOT_FOUND = readFileSync(fixturePath('xml-curl/served-not-found.xml'), 'utf8');
const FORM = 'application/x-www-form-urlencoded';

describe('POST /freeswitch/xml (mod_xml_curl endpoint)', () => {

  const db = useRedis({ client: { maxRetriesPerRequest: 1 } });

  test('the recorded sip_auth REGISTER over a real socket: the user document, text/xml', async () => {
    const prefix = uniquePrefix('xc');
    await db.redis.hset(`${prefix}cti_exten@127.0.0.1`, '1000', JSON.stringify({ param: { password: '1234' }, variable: { user_context: 'default' } }));
    const { app } = makeApp(db.redis, { redis: { url: db.server.url, keyPrefix: prefix } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as { port: number }).port;
      const answer = await sendRaw(port, recordedRequest('directory-sip-auth-register-1000').raw);
      assert.equal(answer.status, 200);
      assert.match(answer.headers, /\r\ncontent-type: text\/xml\r\n/i);
      assert.match(answer.body, /<user id="1000">/);
      assert.match(answer.body, /<param name="password" value="1234"\/>/);
      assert.match(answer.body, /<variable name="user_context" value="default"\/>/);
      const unknown = await sendRaw(port, recordedRequest('directory-sip-auth-register-1001').raw);
      assert.equal(unknown.status, 200);
      assert.equal(unknown.body, NOT_FOUND);
      // Every recorded request, byte for byte: always 200 text/xml and a document.
      const names = readdirSync(fixturePath('xml-curl')).filter((f) => f.endsWith('.http')).map((f) => f.replace(/\.http$/, ''));
      assert.ok(names.length >= 12);
      for (const name of names) {
        const res = await sendRaw(port, recordedRequest(name).raw);
        assert.equal(res.status, 200, name);
        assert.match(res.headers, /\r\ncontent-type: text\/xml/i, name);
        assert.match(res.body, /^<document type="freeswitch\/xml">/, name);
        if (name.includes('-1000') && name.startsWith('directory-sip-auth')) assert.match(res.body, /<user id="1000">/, name);
      }
    } finally {
      await app.close();
    }
  });

  test('every recorded directory lookup kind is answered from Redis', async () => {
    const prefix = uniquePrefix('xc');
    await db.redis.hset(`${prefix}cti_exten@127.0.0.1`, '1001', JSON.stringify({ param: { password: 'p' }, variable: { callgroup: 'sales' } }));
    const { app } = makeApp(db.redis, { redis: { url: db.server.url, keyPrefix: prefix } });
    for (const name of ['directory-user-call-bridge-user-1001', 'directory-user-data-var-1001-from-dialplan', 'directory-sip-auth-unregister-1001']) {
      const res = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { 'content-type': FORM }, payload: recordedRequest(name).body });
      assert.equal(res.statusCode, 200, name);
      assert.match(res.body, /<variable name="callgroup" value="sales"\/>/, name);
      assert.match(res.body, /<param name="dial-string" value="\{\^\^:sip_invite_domain=\$\{dialed_domain\}:presence_id=\$\{dialed_user\}@\$\{dialed_domain\}\}\$\{sofia_contact\(\*\/\$\{dialed_user\}@\$\{dialed_domain\}\)\}"\/>/, name);
    }
    await app.close();
  });

  test('a section without handler (here: phrases) is "not found", exactly the served-not-found.xml bytes', async () => {
    const { app } = makeApp(db.redis, { redis: { url: db.server.url, keyPrefix: uniquePrefix('xc') } });
    const phrases = withFields(recordedRequest('dialplan-call-1000-to-1001').body, { section: 'phrases' });
    const res = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { 'content-type': FORM }, payload: phrases });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/xml');
    assert.equal(res.body, NOT_FOUND);
    const empty = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { 'content-type': FORM }, payload: '' });
    assert.equal(empty.body, NOT_FOUND);
    // A body over the limit is still answered 200 "not found" in XML, not a JSON error.
    const huge = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { 'content-type': FORM }, payload: `section=directory&x=${'a'.repeat(300 * 1024)}` });
    assert.equal(huge.statusCode, 200);
    assert.equal(huge.headers['content-type'], 'text/xml');
    assert.equal(huge.body, NOT_FOUND);
    await app.close();
  });

  test('a registered section handler answers; a throwing one becomes "not found" and a log line', async () => {
    const dialplan: AppPlugin = async (_app, deps) => {
      deps.services.xmlCurl.register('languages', async (req) => `<document type="freeswitch/xml"><!-- ${req.get('Hunt-Destination-Number') ?? ''} --></document>`);
      deps.services.xmlCurl.register('configuration', async () => {
        throw new Error('boom');
      });
    };
    const { app, logs } = makeApp(db.redis, { redis: { url: db.server.url, keyPrefix: uniquePrefix('xc') } }, [dialplan]);
    const languages = withFields(recordedRequest('dialplan-call-1000-to-1001').body, { section: 'languages' });
    const res = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { 'content-type': FORM }, payload: languages });
    assert.equal(res.body, '<document type="freeswitch/xml"><!-- 1001 --></document>');
    const failing = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { 'content-type': FORM }, payload: 'section=configuration&key_value=x' });
    assert.equal(failing.statusCode, 200);
    assert.equal(failing.body, NOT_FOUND);
    assert.equal(logs.filter((l) => l['msg'] === 'xml_curl handler failed; answered not found').length, 1);
    await app.close();
  });

  test('addresses outside xmlCurl.allowFrom get 403 and no user', async () => {
    const prefix = uniquePrefix('xc');
    await db.redis.hset(`${prefix}cti_exten@127.0.0.1`, '1000', JSON.stringify({ param: { password: 'secret' } }));
    const { app } = makeApp(db.redis, { redis: { url: db.server.url, keyPrefix: prefix }, xmlCurl: { allowFrom: ['10.0.0.0/8'] } });
    const body = recordedRequest('directory-sip-auth-register-1000').body;
    const res = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { 'content-type': FORM }, payload: body, remoteAddress: '127.0.0.1' });
    assert.equal(res.statusCode, 403);
    assert.doesNotMatch(res.body, /secret/);
    await app.close();
  });

  test('with xmlCurl.credentials, basic auth is required', async () => {
    const prefix = uniquePrefix('xc');
    await db.redis.hset(`${prefix}cti_exten@127.0.0.1`, '1000', JSON.stringify({ param: { password: 'secret' } }));
    const { app } = makeApp(db.redis, { redis: { url: db.server.url, keyPrefix: prefix }, xmlCurl: { credentials: 'fs:s3cret-pass' } });
    const payload = recordedRequest('directory-sip-auth-register-1000').body;
    const denied = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { 'content-type': FORM }, payload });
    assert.equal(denied.statusCode, 401);
    assert.doesNotMatch(denied.body, /secret/);
    const ok = await app.inject({
      method: 'POST', url: '/freeswitch/xml', payload,
      headers: { 'content-type': FORM, authorization: `Basic ${Buffer.from('fs:s3cret-pass').toString('base64')}` },
    });
    assert.match(ok.body, /value="secret"/);
    await app.close();
  });

  test('form values are decoded like mod_xml_curl encodes them (%20, %2B, raw commas)', async () => {
    const prefix = uniquePrefix('xc');
    await db.redis.hset(`${prefix}cti_exten@example.com`, 'a+b', JSON.stringify({ param: { password: 'x' } }));
    const { app } = makeApp(db.redis, { redis: { url: db.server.url, keyPrefix: prefix } });
    const body = withFields(recordedRequest('directory-user-data-var-1001-from-dialplan').body, { user: 'a+b', domain: 'example.com', key_value: 'example.com' });
    assert.match(body, /user=a%2Bb/);
    const res = await app.inject({ method: 'POST', url: '/freeswitch/xml', headers: { 'content-type': FORM }, payload: body });
    assert.match(res.body, /<domain name="example.com">/);
    assert.match(res.body, /<user id="a\+b">/);
    await app.close();
  });
});
