import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { validateConfig } from '../../src/config/load.js';
import type { Extension } from '../../src/directory/extension-schema.js';
import { createDirectoryHandler } from '../../src/directory/handler.js';
import { EslDecoder } from '../../src/esl/decoder.js';
import { EslEvent } from '../../src/esl/event.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { RegistrationStore } from '../../src/registrations/registration-store.js';
import { parseXmlCurlForm } from '../../src/xml-curl/request.js';
import { readEsl } from '../helpers/fixtures.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { recordedRequest, withFields } from '../xml-curl/harness.js';

const REGISTER = recordedRequest('directory-sip-auth-register-1000').body; // user 1000, ip 127.0.0.1, UA sipp-test
const INVITE = recordedRequest('directory-sip-auth-invite-1000-to-1001').body;

/** The recorded sofia::register of 1004, re-addressed to extension 1000 with a chosen Call-ID. */
function registerEvent(callId: string, extra: Record<string, string> = {}): EslEvent {
  for (const m of EslDecoder.decodeAll(readEsl('esl-control/registration-expire-sofia-events'))) {
    if (m.kind === 'event' && m.event.subclass === 'sofia::register') {
      const now = String(Date.now() * 1000);
      return new EslEvent({ ...m.event.headers, username: '1000', 'from-user': '1000', 'call-id': callId, expires: '3600', 'Event-Date-Timestamp': now, ...extra });
    }
  }
  throw new Error('no sofia::register in the recording');
}

describe('registration rules enforced by freecti (one test per rule, recorded REGISTER fields)', () => {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger('info', new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) logs.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  }));

  const db = useRedis({ client: { maxRetriesPerRequest: 1 } });

  async function lookup(param: Extension['param'], body: string, prepare?: (store: RegistrationStore) => Promise<void>) {
    const prefix = uniquePrefix('pol');
    const keys = new Keys(prefix);
    await db.redis.hset(keys.extensions('127.0.0.1'), '1000', JSON.stringify({ param }));
    const config = validateConfig({ redis: { keyPrefix: prefix } });
    if (prepare) await prepare(new RegistrationStore(db.redis, keys, config.gui.registration));
    const before = logs.length;
    const doc = await createDirectoryHandler({ redis: db.redis, keys, config, logger })(parseXmlCurlForm(body));
    const password = /<param name="password" value="([^"]*)"\/>/.exec(doc)?.[1];
    const refusal = logs.slice(before).find((l) => String(l['msg']).startsWith('SIP auth refused'));
    return { doc, password, refusal, logs: logs.slice(before) };
  }

  function assertAllowed(r: Awaited<ReturnType<typeof lookup>>, password = 'pw-1000') {
    assert.equal(r.password, password);
    assert.equal(r.refusal, undefined);
  }
  function assertRefused(r: Awaited<ReturnType<typeof lookup>>, reason: RegExp) {
    assert.ok(r.password !== undefined && /^[0-9a-f]{48}$/.test(r.password), 'an unguessable password is served');
    assert.notEqual(r.password, 'pw-1000');
    assert.match(String(r.refusal?.['reason']), reason);
    assert.doesNotMatch(r.doc, /auth-acl|user-agent-filter|max-registrations|sip-forbid-register|allow-empty-password/);
  }

  test('auth-acl (IPv4 CIDR list): inside passes, outside is refused', async () => {
    assertAllowed(await lookup({ password: 'pw-1000', 'auth-acl': '10.0.0.0/8, 127.0.0.0/24' }, REGISTER));
    assertRefused(await lookup({ password: 'pw-1000', 'auth-acl': '10.0.0.0/8' }, REGISTER), /outside auth-acl/);
    assertRefused(await lookup({ password: 'pw-1000', 'auth-acl': '127.0.0.1/32' }, withFields(REGISTER, { ip: '127.0.0.2' })), /outside auth-acl/);
  });

  test('auth-acl (IPv6): the registering address is checked as IPv6, v4-mapped as IPv4', async () => {
    assertAllowed(await lookup({ password: 'pw-1000', 'auth-acl': 'fd00::/8' }, withFields(REGISTER, { ip: 'fd00::2' })));
    assertRefused(await lookup({ password: 'pw-1000', 'auth-acl': 'fd00::/8' }, withFields(REGISTER, { ip: '2001:db8::1' })), /outside auth-acl/);
    assertAllowed(await lookup({ password: 'pw-1000', 'auth-acl': '127.0.0.0/8' }, withFields(REGISTER, { ip: '::ffff:127.0.0.1' })));
  });

  test('auth-acl that does not parse refuses and logs a warning', async () => {
    const r = await lookup({ password: 'pw-1000', 'auth-acl': '192.168.0.100/255' }, REGISTER);
    assertRefused(r, /does not parse/);
    assert.equal(r.refusal?.['level'], 40);
  });

  test('auth-acl naming one FreeSWITCH ACL list: served to FreeSWITCH, which enforces it; freecti does not refuse', async () => {
    for (const name of ['lan', 'rfc1918.auto', 'office_phones']) {
      const r = await lookup({ password: 'pw-1000', 'auth-acl': ` ${name} ` }, REGISTER);
      assertAllowed(r);
      assert.match(r.doc, new RegExp(`<param name="auth-acl" value="${name.replace('.', '\\.')}"/>`));
    }
    // CIDRs stay freecti's: not served.
    assert.doesNotMatch((await lookup({ password: 'pw-1000', 'auth-acl': '127.0.0.0/8' }, REGISTER)).doc, /auth-acl/);
  });

  test('auth-acl mixing a list name with CIDRs, or naming two lists, refuses as misconfigured', async () => {
    for (const acl of ['lan,10.0.0.0/8', 'lan, domains', '127.0.0.1,lan']) {
      const r = await lookup({ password: 'pw-1000', 'auth-acl': acl }, REGISTER);
      assertRefused(r, /names several lists|mixes ACL list names/);
      assert.equal(r.refusal?.['level'], 40);
    }
  });

  test('auth-acl also applies to INVITE digest (as FreeSWITCH does)', async () => {
    assertRefused(await lookup({ password: 'pw-1000', 'auth-acl': '10.0.0.0/8' }, INVITE), /outside auth-acl/);
  });

  test('user-agent-filter: matching passes, other UA refused', async () => {
    assertAllowed(await lookup({ password: 'pw-1000', 'user-agent-filter': '^sipp-' }, REGISTER));
    assertRefused(await lookup({ password: 'pw-1000', 'user-agent-filter': '^Yealink' }, REGISTER), /does not match/);
  });

  test('user-agent-filter: invalid regex (or RE2-unsupported syntax) denies and logs, never throws', async () => {
    assertRefused(await lookup({ password: 'pw-1000', 'user-agent-filter': '(sipp' }, REGISTER), /invalid regex/);
    assertRefused(await lookup({ password: 'pw-1000', 'user-agent-filter': '^(s)\\1' }, REGISTER), /back-references are not supported/);
    assertRefused(await lookup({ password: 'pw-1000', 'user-agent-filter': '^(?!Yealink)' }, REGISTER), /lookahead and lookbehind are not supported/);
  });

  test('user-agent-filter: a pattern catastrophic for backtracking runs in linear time (RE2JS)', async () => {
    // 40 'a's + '!' against ^(a+)+$ is about 2^40 steps for V8's RegExp; here it is answered.
    const evil = withFields(REGISTER, { sip_user_agent: 'a'.repeat(40) + '!' });
    assertRefused(await lookup({ password: 'pw-1000', 'user-agent-filter': '^(a+)+$' }, evil), /does not match/);
    assertAllowed(await lookup({ password: 'pw-1000', 'user-agent-filter': '^(a+)+$' }, withFields(REGISTER, { sip_user_agent: 'aaaa' })));
    // A long User-Agent: cut to 256 characters before matching.
    const long = withFields(REGISTER, { sip_user_agent: 'a'.repeat(5000) + '!' });
    assertRefused(await lookup({ password: 'pw-1000', 'user-agent-filter': '^a*b' }, long), /does not match/);
  });

  test('sip-forbid-register refuses REGISTER, not INVITE', async () => {
    assertRefused(await lookup({ password: 'pw-1000', 'sip-forbid-register': true }, REGISTER), /sip-forbid-register/);
    assertAllowed(await lookup({ password: 'pw-1000', 'sip-forbid-register': 'true' }, INVITE));
    assertAllowed(await lookup({ password: 'pw-1000', 'sip-forbid-register': false }, REGISTER));
  });

  test('allow-empty-password: empty is refused unless true (then no password is served)', async () => {
    assertRefused(await lookup({ password: '' }, REGISTER), /empty password/);
    assertRefused(await lookup({ password: '', 'allow-empty-password': false }, REGISTER), /empty password/);
    const open = await lookup({ password: '', 'allow-empty-password': true }, REGISTER);
    assert.equal(open.refusal, undefined);
    assert.equal(open.password, '');
  });

  test('max-registrations-per-extension counts live contacts; a known Call-ID (refresh/unREGISTER) always passes', async () => {
    const two = async (store: RegistrationStore) => {
      await store.apply('fs1', registerEvent('device-a'));
      await store.apply('fs2', registerEvent('device-b'));
    };
    // Two live devices, max 2: a third device is refused.
    assertRefused(await lookup({ password: 'pw-1000', 'max-registrations-per-extension': 2 }, REGISTER, two), /max-registrations-per-extension 2 reached/);
    // The same request is allowed with max 3.
    assertAllowed(await lookup({ password: 'pw-1000', 'max-registrations-per-extension': 3 }, REGISTER, two));
    // A re-REGISTER (or unREGISTER) of device-a does not count twice.
    assertAllowed(await lookup({ password: 'pw-1000', 'max-registrations-per-extension': '2' }, withFields(REGISTER, { sip_call_id: 'device-a' }), two));
    // An unREGISTER (or a re-REGISTER after a reboot) with a new Call-ID from the source
    // address of a live contact is that device (the sipp recording unregisters with a new
    // Call-ID); the same request from another port is a new device.
    const fromA = async (store: RegistrationStore) => {
      await store.apply('fs1', registerEvent('device-a', { 'network-ip': '127.0.0.1', 'network-port': '5070' }));
    };
    assertAllowed(await lookup({ password: 'pw-1000', 'max-registrations-per-extension': 1 }, withFields(REGISTER, { sip_call_id: 'new-call-id' }), fromA));
    assertRefused(
      await lookup({ password: 'pw-1000', 'max-registrations-per-extension': 1 }, withFields(REGISTER, { sip_call_id: 'new-call-id', client_port: '5080' }), fromA),
      /max-registrations-per-extension 1 reached/,
    );
    // INVITEs are never limited by it.
    assertAllowed(await lookup({ password: 'pw-1000', 'max-registrations-per-extension': 1 }, INVITE, two));
  });

  test('user_call and user_data lookups are never refused', async () => {
    const call = recordedRequest('directory-user-call-bridge-user-1001').body.replace(/user=1001/, 'user=1000');
    assertAllowed(await lookup({ password: 'pw-1000', 'sip-forbid-register': true, 'auth-acl': '10.0.0.0/8' }, call));
  });
});
