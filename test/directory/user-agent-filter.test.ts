/**
 * user-agent-filter (and every pattern from config or Redis) runs on the linear-time
 * engine of src/safe-regex.ts.
 *
 * Why these inputs: on V8's backtracking RegExp, `^(a+)+$` against n 'a's and a '!'
 * tries every way to split the 'a's between the groups before failing, about 2^n steps:
 * some 10 s at n = 30 on the 2-core VM, and hours at n = 40. `(a|aa)*c` grows as the
 * Fibonacci numbers. Those times are not measured here (a timed V8 run would be slow
 * and flaky); the tests show that the engine used now answers these inputs at all,
 * which V8 would not do within the test runner's lifetime for n = 40.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { compileUserAgentFilter, MAX_PATTERN, MAX_USER_AGENT } from '../../src/directory/user-agent-filter.js';
import { CACHE_MAX, compileSafeRegex, MAX_PROGRAM, safeRegexCacheSize } from '../../src/safe-regex.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { makeApp, recordedRequest, sendRaw, withFields } from '../xml-curl/harness.js';

const EVIL_PATTERNS = ['^(a+)+$', '(a|aa)*c', '^(a|a?)+$', '(.*a){20}!x', '^(\\w+\\s?)*$'];

function ok(pattern: string) {
  const compiled = compileUserAgentFilter(pattern);
  assert.ok(compiled.ok, compiled.ok ? '' : compiled.reason);
  return compiled;
}

describe('linear-time regex engine (src/safe-regex.ts)', () => {
  test('catastrophic patterns for a backtracking engine compile and answer false on the crafted input', () => {
    for (const n of [30, 40, 255]) {
      const input = 'a'.repeat(n) + '!';
      for (const pattern of EVIL_PATTERNS) assert.equal(ok(pattern).test(input), false, `${pattern} on ${n} a's + '!'`);
    }
    // And they still match what they should.
    assert.equal(ok('^(a+)+$').test('aaaa'), true);
    assert.equal(ok('(a|aa)*c').test('aaac'), true);
  });

  test('work grows linearly: 64x the input costs far less than 64^2 (or 2^n) times as much', () => {
    // Counted in repetitions of one match, not in wall time, so the bound is generous:
    // a backtracking engine would be 2^(n) steps here, i.e. not finish at all.
    const regex = compileSafeRegex('^(a+)+$');
    assert.ok(regex.ok);
    const short = 'a'.repeat(40) + '!';
    const long = 'a'.repeat(40 * 64) + '!';
    /** Fastest of 5 trials of the mean time of one match: a stall of the machine only slows some trials. */
    const time = (input: string, reps: number) => {
      let best = Infinity;
      for (let trial = 0; trial < 5; trial++) {
        const start = performance.now();
        for (let i = 0; i < reps; i++) regex.test(input);
        best = Math.min(best, (performance.now() - start) / reps);
      }
      return best;
    };
    time(short, 200);
    time(long, 20);
    const ratio = time(long, 20) / Math.max(time(short, 200), 1e-6);
    // Linear: ~64; quadratic would be ~4096. Bound chosen so that only a non-linear engine fails.
    assert.ok(ratio < 1000, `64x input cost ${ratio.toFixed(0)}x the time`);
  });

  test('typical filters on typical User-Agents', () => {
    const yealink = 'Yealink SIP-T46S 66.86.0.15';
    assert.equal(ok('^Yealink').test(yealink), true);
    assert.equal(ok('^(Yealink|Grandstream|Fanvil)').test(yealink), true);
    assert.equal(ok('T4[0-9]S').test(yealink), true);
    assert.equal(ok('^Grandstream').test(yealink), false);
    assert.equal(ok('(?i)^yealink sip-t4\\dS ').test(yealink), true, 'RE2 inline flags work');
    assert.equal(ok('^Yealink SIP-T46S 66\\.86\\.\\d+\\.\\d+$').test(yealink), true);
  });

  test('the User-Agent is cut to 256 characters before matching', () => {
    const filter = ok('x$');
    assert.equal(filter.test('a'.repeat(MAX_USER_AGENT - 1) + 'x'), true);
    assert.equal(filter.test('a'.repeat(MAX_USER_AGENT) + 'x'), false);
  });

  test('syntax RE2 does not have is refused with a reason, never thrown', () => {
    const reason = (pattern: string) => {
      const compiled = compileUserAgentFilter(pattern);
      assert.ok(!compiled.ok, `${pattern} should be refused`);
      return compiled.reason;
    };
    assert.match(reason('(sipp'), /^invalid regex.*missing closing \)/);
    assert.match(reason('^(a)\\1$'), /back-references are not supported by the linear-time engine/);
    assert.match(reason('^(?<v>a)\\k<v>$'), /back-references are not supported/);
    assert.match(reason('^(?!Yealink)'), /lookahead and lookbehind are not supported/);
    assert.match(reason('(?<=x)y'), /lookahead and lookbehind are not supported/);
    assert.match(reason('\\u0041'), /^invalid regex \(RE2 syntax\)/);
    assert.match(reason('a{1001}'), /invalid repeat count/);
    assert.match(reason('a'.repeat(MAX_PATTERN + 1)), /longer than 512 characters/);
    // A program so large that even linear matching would be slow.
    assert.match(reason(`(${'a?'.repeat(20)}){200}`), new RegExp(`too large: \\d+ instructions compiled, at most ${MAX_PROGRAM}`));
  });

  test('the compile cache is bounded and serves the same compiled pattern', () => {
    const first = compileSafeRegex('^cache-probe$');
    assert.equal(compileSafeRegex('^cache-probe$'), first);
    for (let i = 0; i < CACHE_MAX + 50; i++) compileSafeRegex(`^filler-${i}$`);
    assert.ok(safeRegexCacheSize() <= CACHE_MAX);
    assert.notEqual(compileSafeRegex('^cache-probe$'), first, 'the oldest entry was evicted');
    // A pattern over the caller's cap is refused before the cache (different caps share it).
    assert.equal(compileSafeRegex('^cache-probe$', 5).ok, false);
  });
});

describe('end to end: a crafted User-Agent does not stall the service', () => {

  const db = useRedis({ client: { maxRetriesPerRequest: 1 } });

  /** The recorded REGISTER of 1000 with another User-Agent, as mod_xml_curl sends it. */
  function register(userAgent: string): Buffer {
    const recorded = recordedRequest('directory-sip-auth-register-1000');
    const body = withFields(recorded.body, { sip_user_agent: userAgent });
    const head = recorded.head.replace(/\r\nContent-Length: \d+/i, `\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}`);
    return Buffer.from(`${head}\r\n\r\n${body}`, 'latin1');
  }

  test("user-agent-filter '^(a+)+$', REGISTER with 5,000 'a' + '!': /health answers and both matches end (a backtracking engine never would)", async () => {
    const prefix = uniquePrefix('uaf');
    await db.redis.hset(`${prefix}cti_exten@127.0.0.1`, '1000', JSON.stringify({ param: { password: 'pw-1000', 'user-agent-filter': '^(a+)+$' } }));
    const { app, logs } = makeApp(db.redis, { redis: { url: db.server.url, keyPrefix: prefix } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (app.server.address() as { port: number }).port;
      const health = `http://127.0.0.1:${port}/health`;
      // Warm-up: one ordinary REGISTER and one /health, so the timed call below does not
      // pay for first-use JIT work.
      const normal = await sendRaw(port, register('Yealink SIP-T46S 66.86.0.15'));
      assert.doesNotMatch(normal.body, /value="pw-1000"/, 'a User-Agent that does not match is refused');
      await (await fetch(health)).arrayBuffer();

      // The issue's input (cut to 256 'a's, which `^(a+)+$` matches), and the one that
      // defeats the cut: 40 'a's + '!' is about 2^40 backtracking steps on V8.
      const crafted = [sendRaw(port, register('a'.repeat(5000) + '!')), sendRaw(port, register('a'.repeat(40) + '!'))];
      // No wall-clock bound (speed is for benchmarks): on a backtracking engine the
      // 40 'a's + '!' match is ~2^40 steps, so neither /health nor that REGISTER would
      // ever answer and the test fails on its timeout.
      const res = await fetch(health);
      await res.arrayBuffer();
      assert.ok([200, 503].includes(res.status));

      const [long, short] = await Promise.all(crafted);
      assert.equal(long?.status, 200);
      assert.match(long?.body ?? '', /<param name="password" value="pw-1000"\/>/, 'the first 256 characters match ^(a+)+$');
      assert.equal(short?.status, 200);
      assert.match(short?.body ?? '', /<user id="1000">/);
      assert.doesNotMatch(short?.body ?? '', /value="pw-1000"/, "40 'a's + '!' does not match: refused");
      assert.ok(logs.some((l) => String(l['reason']).startsWith("user agent 'aaaa") && String(l['reason']).endsWith('does not match user-agent-filter')));
    } finally {
      await app.close();
    }
  });
});
