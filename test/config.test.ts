import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseFsList, parseListen, validateConfig } from '../src/config/load.js';
import { isFreectiError } from '../src/errors.js';
import { redactConfig } from '../src/cli.js';

const root = join(import.meta.dirname, '..');

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isFreectiError(error, 'CONFIG_INVALID'), `expected CONFIG_INVALID, got ${String(error)}`);
    assert.ok(!error.message.includes('\n'), 'the message is one line');
    return error.message;
  }
  assert.fail('expected a configuration error');
}

function withFile(name: string, text: string, run: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'freecti-config-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, text);
    run(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('defaults: loopback listeners, local Redis, one local node', () => {
  const config = loadConfig({});
  assert.equal(config.redis.url, 'redis://127.0.0.1:6379');
  assert.equal(config.redis.keyPrefix, '');
  assert.deepEqual(config.http, { host: '127.0.0.1', port: 8088 });
  assert.deepEqual(config.eslOutbound, { host: '127.0.0.1', port: 8084, allowFrom: ['127.0.0.1/8', '::1/128'], maxSessions: 2000, lingerMs: 5000 });
  assert.deepEqual(config.bridge.allowedUrls, ['http://127.0.0.1', 'http://localhost', 'http://[::1]']);
  assert.deepEqual(config.freeswitch.nodes, [{ name: '127.0.0.1:8021', host: '127.0.0.1', port: 8021, password: 'ClueCon' }]);
  assert.equal(config.freeswitch.eventFormat, 'plain');
  assert.equal(config.freeswitch.commandTimeoutMs, 10_000);
  assert.equal(config.freeswitch.connectTimeoutMs, 5_000);
  assert.deepEqual(config.freeswitch.reconnect, { initialDelayMs: 250, maxDelayMs: 30_000 });
  assert.equal(config.cli.key, undefined);
  assert.equal(config.log.level, 'info');
});

test('blank environment variables are ignored', () => {
  const config = loadConfig({ REDIS_URL: '  ', FREECTI_FS: '', FREECTI_HTTP: ' ' });
  assert.equal(config.redis.url, 'redis://127.0.0.1:6379');
  assert.equal(config.http.port, 8088);
});

test('FREECTI_FS: several nodes, name= prefix, default names', () => {
  const config = loadConfig({ FREECTI_FS: 'fs1=secret@10.0.0.1:8021, other@10.0.0.2:9021' });
  assert.deepEqual(config.freeswitch.nodes, [
    { name: 'fs1', host: '10.0.0.1', port: 8021, password: 'secret' },
    { name: '10.0.0.2:9021', host: '10.0.0.2', port: 9021, password: 'other' },
  ]);
});

test("FREECTI_FS: a password may contain '@' (the last one separates the host)", () => {
  assert.deepEqual(parseFsList('p@ss@word@fs.example:8021'), [
    { name: 'fs.example:8021', host: 'fs.example', port: 8021, password: 'p@ss@word' },
  ]);
  assert.deepEqual(parseFsList('n1=a@b@127.0.0.1:8021')[0]?.password, 'a@b');
});

test('FREECTI_FS: IPv6 [::1]:8021', () => {
  const [node] = loadConfig({ FREECTI_FS: 'v6=ClueCon2@[::1]:8021' }).freeswitch.nodes;
  assert.deepEqual(node, { name: 'v6', host: '::1', port: 8021, password: 'ClueCon2' });
  assert.equal(parseFsList('pw@[::1]:8021')[0]?.name, '::1:8021');
});

test('FREECTI_FS: malformed entries name the entry', () => {
  assert.match(configError(() => loadConfig({ FREECTI_FS: 'ok@h:1,nopassword' })), /^config FREECTI_FS\[1\]: 'nopassword' is not \[name=\]password@host:port$/);
  assert.match(configError(() => loadConfig({ FREECTI_FS: 'pw@host' })), /FREECTI_FS\[0\]: 'host' is not host:port/);
  assert.match(configError(() => loadConfig({ FREECTI_FS: 'pw@h:99999' })), /^config freeswitch\.nodes\[0\]\.port: /);
});

test('FREECTI_HTTP and FREECTI_ESL_OUTBOUND: host:port, [v6]:port, :port', () => {
  assert.deepEqual(loadConfig({ FREECTI_HTTP: '0.0.0.0:9000' }).http, { host: '0.0.0.0', port: 9000 });
  assert.deepEqual(loadConfig({ FREECTI_HTTP: '[::1]:9001' }).http, { host: '::1', port: 9001 });
  assert.deepEqual(loadConfig({ FREECTI_HTTP: ':9002' }).http, { host: '127.0.0.1', port: 9002 });
  const outbound = loadConfig({ FREECTI_ESL_OUTBOUND: '127.0.0.1:9084' }).eslOutbound;
  assert.deepEqual([outbound.host, outbound.port], ['127.0.0.1', 9084]);
  assert.deepEqual(parseListen('X', 'localhost:1'), { host: 'localhost', port: 1 });
  assert.match(configError(() => loadConfig({ FREECTI_HTTP: 'nonsense' })), /^config FREECTI_HTTP: 'nonsense' is not host:port$/);
});

test('http / eslOutbound: a section that sets one field keeps the defaults of the others', () => {
  assert.deepEqual(validateConfig({ http: { port: 9000 } }).http, { host: '127.0.0.1', port: 9000 });
  assert.deepEqual(validateConfig({ http: { host: '0.0.0.0' } }).http, { host: '0.0.0.0', port: 8088 });
  assert.deepEqual(validateConfig({ eslOutbound: { port: 9000 } }).eslOutbound, { host: '127.0.0.1', port: 9000, allowFrom: ['127.0.0.1/8', '::1/128'], maxSessions: 2000, lingerMs: 5000 });
  const outbound = validateConfig({ eslOutbound: { allowFrom: ['10.0.0.5', 'fd00::/8'], maxSessions: 10 } }).eslOutbound;
  assert.deepEqual(outbound, { host: '127.0.0.1', port: 8084, allowFrom: ['10.0.0.5', 'fd00::/8'], maxSessions: 10, lingerMs: 5000 });
  withFile('c.yaml', 'eslOutbound:\n  port: 9100\nhttp:\n  port: 9101\n', (path) => {
    const config = loadConfig({ FREECTI_CONFIG: path });
    assert.deepEqual([config.eslOutbound.host, config.eslOutbound.port, config.http.host, config.http.port], ['127.0.0.1', 9100, '127.0.0.1', 9101]);
  });
});

test('every section: setting any one field (nested ones too) keeps the defaults of all the others', () => {
  const defaults = validateConfig({}) as unknown as Record<string, unknown>;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  let checked = 0;
  // For each field path: a config holding only that field (at its default) must give the whole default section.
  const walk = (path: string[], value: Record<string, unknown>): void => {
    for (const [key, inner] of Object.entries(value)) {
      const here = [...path, key];
      if (isObject(inner)) walk(here, inner);
      let partial: unknown = inner;
      for (const name of [...here].reverse()) partial = { [name]: partial };
      const section = here[0] ?? '';
      const got = (validateConfig(partial as Record<string, unknown>) as unknown as Record<string, unknown>)[section];
      assert.deepEqual(got, defaults[section], `${here.join('.')} alone changed the rest of '${section}'`);
      checked += 1;
    }
  };
  for (const [section, value] of Object.entries(defaults)) if (isObject(value)) walk([section], value);
  assert.ok(checked > 40, `checked ${checked} fields`);
  // And with a value other than the default, read from a file like a real start:
  withFile('partial.yaml', 'eslOutbound:\n  lingerMs: 2000\nfreeswitch:\n  reconnect:\n    maxDelayMs: 5000\ngui:\n  call:\n    hash: c2\n', (path) => {
    const config = loadConfig({ FREECTI_CONFIG: path });
    assert.deepEqual([config.eslOutbound.lingerMs, config.eslOutbound.port, config.eslOutbound.host], [2000, 8084, '127.0.0.1']);
    assert.deepEqual(config.freeswitch.reconnect, { initialDelayMs: 250, maxDelayMs: 5000 });
    assert.equal(config.freeswitch.commandTimeoutMs, 10_000);
    assert.deepEqual([config.gui.call.hash, config.gui.call.listMax, config.gui.registration.hash], ['c2', 1000, 'registrations']);
  });
});

test('eslOutbound.allowFrom and maxSessions: a bad value refuses the start', () => {
  assert.match(configError(() => validateConfig({ eslOutbound: { allowFrom: ['10.0.0.0/33'] } })), /^config eslOutbound\.allowFrom\[0\]: not an IPv4\/IPv6 address or CIDR$/);
  assert.match(configError(() => validateConfig({ eslOutbound: { allowFrom: ['freeswitch.local'] } })), /^config eslOutbound\.allowFrom\[0\]: /);
  assert.match(configError(() => validateConfig({ eslOutbound: { allowFrom: [] } })), /^config eslOutbound\.allowFrom: /);
  assert.match(configError(() => validateConfig({ eslOutbound: { maxSessions: 0 } })), /^config eslOutbound\.maxSessions: /);
});

test('xmlCurl.allowFrom: a bad CIDR refuses the start (issue 12)', () => {
  assert.deepEqual(validateConfig({ xmlCurl: { allowFrom: ['10.0.0.5', 'fd00::/8'] } }).xmlCurl.allowFrom, ['10.0.0.5', 'fd00::/8']);
  assert.match(configError(() => validateConfig({ xmlCurl: { allowFrom: ['10.0.0.0/33'] } })), /^config xmlCurl\.allowFrom\[0\]: not an IPv4\/IPv6 address or CIDR$/);
  assert.match(configError(() => validateConfig({ xmlCurl: { allowFrom: ['127.0.0.1', 'freeswitch.local'] } })), /^config xmlCurl\.allowFrom\[1\]: not an IPv4\/IPv6 address or CIDR$/);
  assert.match(configError(() => validateConfig({ xmlCurl: { allowFrom: ['10.0.0.1/8/1'] } })), /^config xmlCurl\.allowFrom\[0\]: /);
  assert.match(configError(() => validateConfig({ xmlCurl: { allowFrom: [] } })), /^config xmlCurl\.allowFrom: /);
});

test('cluster: a lease renewed no sooner than it expires refuses the start (issue 12)', () => {
  assert.deepEqual(validateConfig({ cluster: { leaseTtlMs: 2000, renewIntervalMs: 1999 } }).cluster, { leaseTtlMs: 2000, renewIntervalMs: 1999, stateQueueMax: 5_000 });
  assert.deepEqual(validateConfig({}).cluster, { leaseTtlMs: 10_000, renewIntervalMs: 3_000, stateQueueMax: 5_000 });
  assert.match(configError(() => validateConfig({ cluster: { leaseTtlMs: 2000, renewIntervalMs: 2000 } })), /^config cluster\.renewIntervalMs: must be less than cluster\.leaseTtlMs/);
  assert.match(configError(() => validateConfig({ cluster: { renewIntervalMs: 20_000 } })), /^config cluster\.renewIntervalMs: must be less than cluster\.leaseTtlMs/);
  assert.match(configError(() => validateConfig({ cluster: { stateQueueMax: 5 } })), /^config cluster\.stateQueueMax: /);
});

test('webhook: one agent for every origin; defaults and bounds', () => {
  assert.deepEqual(validateConfig({}).webhook, { connectionsPerOrigin: 32, idleMs: 4_000, maxConnectMs: 30_000 });
  assert.match(configError(() => validateConfig({ webhook: { idleMs: 10 } })), /^config webhook\.idleMs: /);
  assert.match(configError(() => validateConfig({ webhook: { pools: 3 } })), /^config webhook: /);
});

test('bridge.allowedUrls: http(s) prefixes without user info, query or fragment', () => {
  assert.deepEqual(validateConfig({ bridge: { allowedUrls: ['https://app.example.com:8443/cti/', 'http://10.0.0.7'] } }).bridge.allowedUrls, ['https://app.example.com:8443/cti/', 'http://10.0.0.7']);
  assert.deepEqual(validateConfig({ bridge: { allowedUrls: [] } }).bridge.allowedUrls, []);
  assert.match(configError(() => validateConfig({ bridge: { allowedUrls: ['ftp://app.example.com'] } })), /^config bridge\.allowedUrls\[0\]: 'ftp:\/\/app\.example\.com' must be an http: or https: URL$/);
  assert.match(configError(() => validateConfig({ bridge: { allowedUrls: ['app.example.com'] } })), /^config bridge\.allowedUrls\[0\]: 'app\.example\.com' is not an absolute URL$/);
  assert.match(configError(() => validateConfig({ bridge: { allowedUrls: ['http://u:p@app.example.com'] } })), /must not carry user info$/);
  assert.match(configError(() => validateConfig({ bridge: { allowedUrls: ['http://app.example.com/b?x=1'] } })), /must not carry a query or a fragment$/);
  assert.match(configError(() => validateConfig({ bridge: { allowed: [] } })), /^config bridge: /);
});

test('REDIS_URL, FREECTI_CLI_KEY, FREECTI_LOG_LEVEL', () => {
  const config = loadConfig({ REDIS_URL: 'redis://:pw@10.1.1.1:6380/2', FREECTI_CLI_KEY: 'a-long-key-123', FREECTI_LOG_LEVEL: 'debug' });
  assert.equal(config.redis.url, 'redis://:pw@10.1.1.1:6380/2');
  assert.equal(config.cli.key, 'a-long-key-123');
  assert.equal(config.log.level, 'debug');
  assert.match(configError(() => loadConfig({ REDIS_URL: 'http://x' })), /^config redis\.url: must start with redis:\/\/ or rediss:\/\/$/);
  assert.match(configError(() => loadConfig({ FREECTI_CLI_KEY: 'short' })), /^config cli\.key: must be at least 8 characters$/);
  assert.match(configError(() => loadConfig({ FREECTI_LOG_LEVEL: 'loud' })), /^config log\.level: /);
});

test('YAML file, then environment variables on top', () => {
  const yaml = [
    'redis:',
    '  url: redis://10.0.0.9:6379',
    '  keyPrefix: "cc:"',
    'freeswitch:',
    '  eventFormat: json',
    '  nodes:',
    '    - { name: a, host: 10.0.0.1, port: 8021, password: "x@y" }',
    'http: { host: 0.0.0.0, port: 8090 }',
    'cli: { key: yaml-key-1234 }',
  ].join('\n');
  withFile('freecti.yaml', yaml, (path) => {
    const config = loadConfig({ FREECTI_CONFIG: path, FREECTI_HTTP: '127.0.0.1:8099' });
    assert.equal(config.redis.url, 'redis://10.0.0.9:6379');
    assert.equal(config.redis.keyPrefix, 'cc:');
    assert.equal(config.freeswitch.eventFormat, 'json');
    assert.deepEqual(config.freeswitch.nodes, [{ name: 'a', host: '10.0.0.1', port: 8021, password: 'x@y' }]);
    assert.equal(config.freeswitch.commandTimeoutMs, 10_000, 'defaults fill what the file leaves out');
    assert.deepEqual(config.http, { host: '127.0.0.1', port: 8099 }, 'the environment wins over the file');
    assert.equal(config.cli.key, 'yaml-key-1234');
  });
});

test('JSON file', () => {
  const json = JSON.stringify({ freeswitch: { nodes: [{ name: 'j', host: '::1', port: 8021, password: 'pw' }], reconnect: { maxDelayMs: 5000 } } });
  withFile('freecti.json', json, (path) => {
    const config = loadConfig({ FREECTI_CONFIG: path });
    assert.equal(config.freeswitch.nodes[0]?.host, '::1');
    assert.deepEqual(config.freeswitch.reconnect, { initialDelayMs: 250, maxDelayMs: 5000 });
  });
});

test('an unknown key is refused with a message naming it', () => {
  withFile('typo.yaml', 'http:\n  host: 127.0.0.1\n  port: 8088\n  hots: 0.0.0.0\n', (path) => {
    const message = configError(() => loadConfig({ FREECTI_CONFIG: path }));
    assert.match(message, /^config http: /);
    assert.match(message, /hots/);
  });
  withFile('typo.json', '{"redis": {"url": "redis://h:1"}, "freeswich": {}}', (path) => {
    assert.match(configError(() => loadConfig({ FREECTI_CONFIG: path })), /freeswich/);
  });
});

test('unreadable or malformed files name the file', () => {
  assert.match(configError(() => loadConfig({ FREECTI_CONFIG: '/nonexistent/freecti.yaml' })), /^config file \/nonexistent\/freecti\.yaml: /);
  withFile('bad.json', '{"http": ', (path) => {
    assert.match(configError(() => loadConfig({ FREECTI_CONFIG: path })), /^config file .*bad\.json: /);
  });
  withFile('list.yaml', '- a\n- b\n', (path) => {
    assert.match(configError(() => loadConfig({ FREECTI_CONFIG: path })), /must hold an object/);
  });
});

test('a bad port names the field', () => {
  assert.match(configError(() => loadConfig({ FREECTI_HTTP: '127.0.0.1:70000' })), /^config http\.port: Too big/);
  withFile('port.json', '{"eslOutbound": {"host": "127.0.0.1", "port": 0}}', (path) => {
    assert.match(configError(() => loadConfig({ FREECTI_CONFIG: path })), /^config eslOutbound\.port: Too small/);
  });
});

test('check-config redaction hides every secret', () => {
  const config = loadConfig({ REDIS_URL: 'redis://user:topsecret@h:6379/0', FREECTI_FS: 'n=fs-pass@h:8021', FREECTI_CLI_KEY: 'cli-secret-key' });
  const text = JSON.stringify(redactConfig(config));
  for (const secret of ['topsecret', 'fs-pass', 'cli-secret-key']) assert.ok(!text.includes(secret), `${secret} is hidden`);
  const nested = redactConfig({ ...config, admin: { keys: ['admin-secret-0123456789'] }, xmlCurl: { ...config.xmlCurl, credentials: 'fs:curl-secret' } } as typeof config);
  const nestedText = JSON.stringify(nested);
  for (const secret of ['admin-secret', 'curl-secret']) assert.ok(!nestedText.includes(secret), `${secret} is hidden`);
  assert.equal(nested.redis.url, 'redis://user:***@h:6379/0');
  assert.equal(config.freeswitch.nodes[0]?.password, 'fs-pass', 'the original is not modified');
});

function runCli(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(root, 'bin/freecti.js'), ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('the real CLI: a bad value stops the start with one line and exit code 1', () => {
  const result = runCli([], { FREECTI_HTTP: '127.0.0.1:99999' });
  assert.equal(result.status, 1);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^freecti: config http\.port: Too big[^\n]*\n$/);
});

test('the real CLI: check-config prints the redacted effective config', () => {
  const result = runCli(['check-config'], { FREECTI_FS: 'fs1=s3cr3t-pw@127.0.0.1:8021', FREECTI_LOG_LEVEL: 'warn' });
  assert.equal(result.status, 0, result.stderr);
  const printed = JSON.parse(result.stdout) as { freeswitch: { nodes: { name: string; password: string }[] }; log: { level: string } };
  assert.deepEqual(printed.freeswitch.nodes.map((n) => [n.name, n.password]), [['fs1', '[redacted]']]);
  assert.equal(printed.log.level, 'warn');
  assert.ok(!result.stdout.includes('s3cr3t-pw'));
});

test('the real CLI: --help and unknown commands', () => {
  const help = runCli(['--help'], {});
  assert.equal(help.status, 0);
  assert.match(help.stdout, /check-config/);
  const unknown = runCli(['frobnicate'], {});
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stderr, "freecti: unknown command 'frobnicate' (see freecti --help)\n");
});
