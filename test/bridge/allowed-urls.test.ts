/** bridge.allowedUrls: parsed comparison of scheme, host, port and path (src/bridge/allowed-urls.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AllowedUrls, parseUrlPrefix, redactUrl, urlPrefixProblem } from '../../src/bridge/allowed-urls.js';

function verdicts(allowed: AllowedUrls, urls: readonly string[]): Record<string, boolean> {
  return Object.fromEntries(urls.map((u) => [u, allowed.check(u).allowed]));
}

describe('the defaults: loopback origins, any port, any path', () => {
  const allowed = new AllowedUrls();
  it('allows loopback URLs on any port', () => {
    const urls = ['http://127.0.0.1/bridge', 'http://127.0.0.1:8080/bridge?biz=7', 'http://localhost:3000/', 'http://[::1]:9000/x', 'http://2130706433/b'];
    assert.deepEqual(verdicts(allowed, urls), Object.fromEntries(urls.map((u) => [u, true])));
  });

  it('refuses look-alike hosts, user info, other schemes and other hosts', () => {
    const urls = [
      'http://169.254.169.254/latest/meta-data/',
      'http://127.0.0.1.evil.com/bridge',
      'http://127.0.0.1@evil.com/bridge',
      'http://user:pw@127.0.0.1/bridge',
      'http://localhost./bridge',
      'http://localhost.evil.com/',
      'https://127.0.0.1/bridge', // https is another scheme: not in the defaults
      'ftp://127.0.0.1/x',
      'file:///etc/passwd',
      'http://10.0.0.1/',
      'not a url',
    ];
    assert.deepEqual(verdicts(allowed, urls), Object.fromEntries(urls.map((u) => [u, false])));
  });

  it('names the reason', () => {
    assert.deepEqual(allowed.check('http://169.254.169.254/latest'), { allowed: false, reason: 'http://169.254.169.254:80 matches no prefix of bridge.allowedUrls' });
    assert.deepEqual(allowed.check('http://127.0.0.1@evil.com/'), { allowed: false, reason: 'the URL carries user info' });
    assert.deepEqual(allowed.check('gopher://127.0.0.1/'), { allowed: false, reason: 'scheme gopher: is not http: or https:' });
  });
});

describe('prefixes with a port and a path', () => {
  const allowed = new AllowedUrls(['http://app.example.com:8080/cti', 'https://api.example.com/hooks/', 'http://plain.example.com:80/']);

  it('the port of a prefix written with one is the only port', () => {
    assert.deepEqual(
      verdicts(allowed, ['http://app.example.com:8080/cti', 'http://app.example.com:8081/cti', 'http://app.example.com/cti', 'http://plain.example.com/x', 'http://plain.example.com:80/x', 'http://plain.example.com:8080/x']),
      {
        'http://app.example.com:8080/cti': true,
        'http://app.example.com:8081/cti': false,
        'http://app.example.com/cti': false,
        'http://plain.example.com/x': true, // :80 is http's default port
        'http://plain.example.com:80/x': true,
        'http://plain.example.com:8080/x': false,
      },
    );
  });

  it('a prefix without a port allows any port of its host', () => {
    assert.equal(allowed.check('https://api.example.com:9443/hooks/x').allowed, true);
    assert.equal(allowed.check('http://api.example.com/hooks/x').allowed, false, 'scheme must match');
  });

  it('the path must start with the prefix path at a segment boundary', () => {
    assert.deepEqual(
      verdicts(allowed, [
        'http://app.example.com:8080/cti',
        'http://app.example.com:8080/cti/',
        'http://app.example.com:8080/cti/bridge?x=1',
        'http://app.example.com:8080/ctix',
        'http://app.example.com:8080/CTI',
        'http://app.example.com:8080/',
        'http://app.example.com:8080/cti/../admin',
        'http://app.example.com:8080/cti/%2e%2e/admin',
        'http://app.example.com:8080/cti/..%2Fadmin',
        'http://app.example.com:8080/cti%2F..%2Fadmin',
        'http://app.example.com:8080/cti\\..\\admin',
        'https://api.example.com/hooks/a',
        'https://api.example.com/hooks',
      ]),
      {
        'http://app.example.com:8080/cti': true,
        'http://app.example.com:8080/cti/': true,
        'http://app.example.com:8080/cti/bridge?x=1': true,
        'http://app.example.com:8080/ctix': false,
        'http://app.example.com:8080/CTI': false,
        'http://app.example.com:8080/': false,
        'http://app.example.com:8080/cti/../admin': false,
        'http://app.example.com:8080/cti/%2e%2e/admin': false,
        'http://app.example.com:8080/cti/..%2Fadmin': false,
        'http://app.example.com:8080/cti%2F..%2Fadmin': false,
        'http://app.example.com:8080/cti\\..\\admin': false,
        'https://api.example.com/hooks/a': true,
        'https://api.example.com/hooks': false, // the prefix ends with '/'
      },
    );
  });

  it('an empty list allows nothing', () => {
    assert.equal(new AllowedUrls([]).check('http://127.0.0.1/').allowed, false);
  });
});

describe('prefixes themselves', () => {
  it('parses scheme, host, written port and path', () => {
    assert.deepEqual(parseUrlPrefix('http://[::1]'), { text: 'http://[::1]', protocol: 'http:', hostname: '[::1]', port: undefined, path: '/' });
    assert.deepEqual(parseUrlPrefix('http://[::1]:8080/a'), { text: 'http://[::1]:8080/a', protocol: 'http:', hostname: '[::1]', port: 8080, path: '/a' });
    assert.equal(parseUrlPrefix('https://H.example.com:443').port, 443);
    assert.equal(parseUrlPrefix('https://H.example.com:443').hostname, 'h.example.com');
  });

  it('refuses what is not a plain http(s) prefix', () => {
    assert.equal(urlPrefixProblem('http://127.0.0.1'), undefined);
    assert.match(urlPrefixProblem('127.0.0.1') ?? '', /not an absolute URL/);
    assert.match(urlPrefixProblem('ws://127.0.0.1') ?? '', /must be an http: or https: URL/);
    assert.match(urlPrefixProblem('http://a:b@127.0.0.1') ?? '', /user info/);
    assert.match(urlPrefixProblem('http://127.0.0.1/x?y=1') ?? '', /query or a fragment/);
    assert.match(urlPrefixProblem('http://127.0.0.1/x#y') ?? '', /query or a fragment/);
    assert.match(urlPrefixProblem('http://127.0.0.1/x?') ?? '', /query or a fragment/);
  });
});

it('redactUrl keeps scheme, host, port and path only', () => {
  assert.equal(redactUrl('http://u:pw@app.example.com:8080/cti/b?token=s3cret#frag'), 'http://app.example.com:8080/cti/b?[redacted]');
  assert.equal(redactUrl('http://127.0.0.1/b'), 'http://127.0.0.1/b');
  assert.equal(redactUrl('nonsense?token=s3cret'), 'nonsense');
});
