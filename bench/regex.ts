/**
 * Regex engines on the REGISTER path (docs/regex.md): the `user-agent-filter` pattern
 * compiled once (cached) and tested against typical User-Agents, side by side with
 * V8's backtracking RegExp in the same run.
 *
 *   npm run bench:regex
 *
 * Contenders: `freecti` (compileUserAgentFilter: RE2JS, the 256-char cut, the cache),
 * `v8-regexp` (the peer), and when they can be loaded the other candidates, `re2-wasm`
 * and `re2` (native addon). Only re2js is a dependency; to include the others install
 * them anywhere and point BENCH_REGEX_EXTRA at that folder (the one holding
 * node_modules; several folders separated by ':'), e.g. `npm install --prefix /tmp/rx
 * re2-wasm re2` then `BENCH_REGEX_EXTRA=/tmp/rx npm run bench:regex`.
 *
 * stdout: one JSON line per case and engine; progress on stderr. Each run does
 * BENCH_TESTS cache lookups + test() calls (default 200,000); contenders alternate
 * over BENCH_ROUNDS rounds (default 7); figures are medians of process CPU time
 * (BENCH_CLOCK=wall for elapsed time), `ratio` the median per-round V8 time / engine
 * time (above 1: faster than V8). The `compile` case compiles every pattern uncached
 * BENCH_COMPILES times per run (default 100);
 * the `backtracking` case is one match of `^(a+)+$` on 24 'a's + '!'.
 */
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { loadavg } from 'node:os';
import { RE2JS } from 're2js';
import { compileUserAgentFilter, MAX_USER_AGENT } from '../src/directory/user-agent-filter.js';
import { printResult, progress, round } from './lib/output.js';
import { alternate, type Clock, pairedSpeedup, timeOnce } from './lib/timing.js';

const TESTS = Number(process.env['BENCH_TESTS'] ?? 200_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const CLOCK: Clock = process.env['BENCH_CLOCK'] === 'wall' ? 'wall' : 'cpu';
const COMPILES = Number(process.env['BENCH_COMPILES'] ?? 100);
const EVIL_A = 24;

const USER_AGENTS = [
  'Yealink SIP-T46S 66.86.0.15',
  'Yealink SIP-T42S 66.86.0.15',
  'Grandstream GXP2170 1.0.11.23',
  'Fanvil X4U 2.12.1.1',
  'PolycomVVX-VVX_450-UA/6.4.3.5018',
  'Zoiper rv2.10.20.2',
  'Linphone/5.2.0 (belle-sip/5.2.0)',
  'MicroSIP/3.21.3',
];
const CASES = [
  { name: 'prefix', pattern: '^Yealink' },
  { name: 'alternation', pattern: '^(Yealink|Grandstream|Fanvil)' },
  { name: 'class', pattern: 'T4[0-9]S' },
] as const;

interface Tester {
  test(input: string): boolean;
}
interface Engine {
  name: string;
  compile(pattern: string): Tester;
}

// ---- the engines ----

const engines: Engine[] = [
  {
    name: 'freecti',
    compile: (pattern) => {
      const filter = compileUserAgentFilter(pattern);
      if (!filter.ok) throw new Error(`${pattern}: ${filter.reason}`);
      return filter;
    },
  },
  { name: 're2js', compile: (pattern) => RE2JS.compile(pattern) },
  { name: 'v8-regexp', compile: (pattern) => new RegExp(pattern) },
];

/** A CommonJS package from this project, else from BENCH_REGEX_EXTRA; undefined when absent. */
function optional(name: string): unknown {
  const extra = (process.env['BENCH_REGEX_EXTRA'] ?? '').split(delimiter).filter((dir) => dir !== '');
  const places = [import.meta.url, ...extra.map((dir) => join(dir, 'package.json'))];
  for (const place of places) {
    try {
      return createRequire(place)(name);
    } catch {
      // try the next place
    }
  }
  progress(`${name}: not installed, left out (see BENCH_REGEX_EXTRA)`);
  return undefined;
}

type Re2Class = new (pattern: string, flags?: string) => Tester;
const wasm = optional('re2-wasm') as { RE2: Re2Class } | undefined;
if (wasm !== undefined) engines.push({ name: 're2-wasm', compile: (pattern) => new wasm.RE2(pattern, 'u') });
const native = optional('re2') as Re2Class | undefined;
if (native !== undefined) engines.push({ name: 're2', compile: (pattern) => new native(pattern) });

const PEER = 'v8-regexp';

/** What the REGISTER path does per request: look the pattern up in a cache, cut the UA, test. */
function registerPath(engine: Engine): (pattern: string, userAgent: string) => boolean {
  if (engine.name === 'freecti') return (pattern, userAgent) => (compileUserAgentFilter(pattern) as Tester).test(userAgent);
  const cache = new Map<string, Tester>();
  return (pattern, userAgent) => {
    let tester = cache.get(pattern);
    if (tester === undefined) {
      tester = engine.compile(pattern);
      cache.set(pattern, tester);
    }
    return tester.test(userAgent.slice(0, MAX_USER_AGENT));
  };
}

/** Untimed: every engine gives V8's answer on every case and User-Agent. */
function crossCheck(): void {
  for (const c of CASES) {
    const expected = USER_AGENTS.map((ua) => new RegExp(c.pattern).test(ua));
    for (const engine of engines) {
      const got = USER_AGENTS.map((ua) => engine.compile(c.pattern).test(ua));
      if (got.join() !== expected.join()) throw new Error(`${engine.name} on ${c.pattern}: ${got.join()} instead of ${expected.join()}`);
    }
  }
}

function report(caseName: string, pattern: string, measured: ReturnType<typeof alternate<number>>, perRun: number, unit: 'test' | 'compile'): void {
  const peer = measured.find((m) => m.name === PEER);
  if (peer === undefined) throw new Error('no peer measurement');
  for (const m of measured) {
    if (m.name === PEER) continue;
    printResult({
      case: caseName,
      pattern,
      engine: m.name,
      [`ns_per_${unit}`]: round((m.medianMs * 1e6) / perRun),
      peer: PEER,
      [`peer_ns_per_${unit}`]: round((peer.medianMs * 1e6) / perRun),
      ratio: round(pairedSpeedup(m, peer), 3),
    });
  }
}

function benchCase(c: (typeof CASES)[number]): void {
  progress(`${c.name} (${c.pattern}): ${TESTS} tests per run, ${ROUNDS} rounds, engines ${engines.map((e) => e.name).join(', ')}`);
  const expectedMatches = Array.from({ length: TESTS }, (_, i) => new RegExp(c.pattern).test(USER_AGENTS[i % USER_AGENTS.length] as string)).filter(Boolean).length;
  const measured = alternate<number>(
    engines.map((engine) => {
      const path = registerPath(engine);
      return {
        name: engine.name,
        run: () => {
          let matches = 0;
          for (let i = 0; i < TESTS; i++) if (path(c.pattern, USER_AGENTS[i % USER_AGENTS.length] as string)) matches++;
          return matches;
        },
      };
    }),
    { rounds: ROUNDS, clock: CLOCK },
  );
  for (const m of measured) {
    if (m.results.some((n) => n !== expectedMatches)) throw new Error(`${m.name}: wrong match count`);
    progress(`  ${m.name.padEnd(10)} cpu ${m.medianCpuMs.toFixed(1).padStart(7)} ms  wall ${m.medianWallMs.toFixed(1).padStart(7)} ms`);
  }
  report(c.name, c.pattern, measured, TESTS, 'test');
}

function benchCompile(): void {
  // Few compiles: re2-wasm never frees a compiled pattern and aborts the process when its
  // 16 MiB heap is full (after some thousands of compiles on this machine).
  const compiles = COMPILES;
  progress(`compile: ${compiles} uncached compiles of ${CASES.length} patterns per run`);
  const measured = alternate<number>(
    engines
      .filter((e) => e.name !== 'freecti') // freecti caches; its first compile is re2js's
      .map((engine) => ({
        name: engine.name,
        run: () => {
          let n = 0;
          for (let i = 0; i < compiles; i++) for (const c of CASES) if (engine.compile(c.pattern).test('Yealink SIP-T46S 66.86.0.15')) n++;
          return n;
        },
      })),
    { rounds: ROUNDS, clock: CLOCK },
  );
  report('compile', CASES.map((c) => c.pattern).join(' '), measured, compiles * CASES.length, 'compile');
}

function benchBacktracking(): void {
  const pattern = '^(a+)+$';
  const input = 'a'.repeat(EVIL_A) + '!';
  progress(`backtracking: ${pattern} on ${EVIL_A} 'a's + '!', one match per engine (V8's time doubles per extra 'a')`);
  const times = new Map<string, number>();
  for (const engine of engines) {
    const tester = engine.compile(pattern);
    tester.test('aaa!');
    const { cpuMs, wallMs, result } = timeOnce(() => tester.test(input));
    if (result) throw new Error(`${engine.name} matched`);
    times.set(engine.name, CLOCK === 'cpu' ? cpuMs : wallMs);
  }
  const peerMs = times.get(PEER) ?? Number.NaN;
  for (const [name, ms] of times) {
    if (name === PEER) continue;
    // CPU time has a coarse resolution: a floor of 1 µs keeps the ratio finite.
    printResult({ case: `backtracking-${EVIL_A}`, pattern, engine: name, ms: round(ms, 3), peer: PEER, peer_ms: round(peerMs, 1), ratio: round(peerMs / Math.max(ms, 0.001)) });
  }
}

crossCheck();
for (const c of CASES) benchCase(c);
benchCompile();
benchBacktracking();
progress(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
