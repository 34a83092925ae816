/**
 * ESL decoder throughput on the recorded FreeSWITCH event streams, side by side with
 * the `modesl` package decoding the same bytes in the same 64 KiB chunks.
 *
 *   npm run bench:esl
 *
 * stdout: one JSON line per case (see docs/performance.md); progress goes to stderr.
 * Both decoders are run in alternation for several rounds; events_per_s figures are
 * medians of the process CPU time per run (BENCH_CLOCK=wall for elapsed time instead),
 * `ratio` the median of the per-round ratios (the two runs of a round are back to back).
 * Env: BENCH_MB (volume per run, default 64), BENCH_ROUNDS (timed rounds, default 7),
 * BENCH_FORMATS (cases to run, default plain,json).
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { EslDecoder } from '../src/esl/decoder.js';
import type { EslMessage } from '../src/esl/messages.js';
import { readEsl, readTimelineFrames } from '../test/helpers/fixtures.js';
import { chunked, repeatToVolume } from './lib/bytes.js';
import { printResult, progress, round } from './lib/output.js';
import { alternate, type Clock, pairedSpeedup } from './lib/timing.js';

const CHUNK_BYTES = 64 * 1024;
const VOLUME_BYTES = Number(process.env['BENCH_MB'] ?? 64) * 1024 * 1024;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const CLOCK: Clock = process.env['BENCH_CLOCK'] === 'wall' ? 'wall' : 'cpu';
const SCENARIOS = [
  'register-call-answered-caller-hangup-unregister',
  'call-to-unregistered-user',
  'call-rejected-486-busy',
] as const;

// ---- modesl, driven exactly like its Connection drives it: a socket emitting 'data'. ----

interface ModeslEvent {
  type: string | undefined;
  headers: { name: string; value: unknown }[];
  body: string;
  getHeader(name: string): unknown;
}
interface ModeslParser {
  on(event: 'esl::event', listener: (event: ModeslEvent) => void): void;
}
const requireCjs = createRequire(import.meta.url);
const ModeslParserClass = requireCjs('modesl/lib/esl/Parser.js') as new (socket: EventEmitter) => ModeslParser;

function modeslDecode(chunks: readonly Buffer[], onEvent: (event: ModeslEvent) => void): void {
  const socket = new EventEmitter();
  const parser = new ModeslParserClass(socket);
  parser.on('esl::event', onEvent);
  for (const chunk of chunks) socket.emit('data', chunk);
}

function oursDecode(chunks: readonly Buffer[], onMessage: (message: EslMessage) => void): void {
  const decoder = new EslDecoder();
  for (const chunk of chunks) decoder.push(chunk, onMessage);
  if (decoder.bufferedBytes !== 0) throw new Error(`decoder kept ${decoder.bufferedBytes} bytes at the end`);
}

// ---- input: the event frames of the recordings (the auth/subscribe prelude left out) ----

interface Case {
  name: string;
  format: 'plain' | 'json';
  /** One pass over the recordings: event frames only. */
  unit: Buffer;
  eventsPerUnit: number;
}

function buildCase(format: 'plain' | 'json'): Case {
  const parts: Buffer[] = [];
  let events = 0;
  for (const scenario of SCENARIOS) {
    const path = `esl-events/event-${format}-all-${scenario}.esl`;
    const esl = readEsl(path);
    const frames = readTimelineFrames(path).filter((f) => f.contentType === `text/event-${format}`);
    const first = frames[0];
    const last = frames[frames.length - 1];
    if (first === undefined || last === undefined) throw new Error(`${path}: no ${format} events`);
    // The event frames are contiguous after the prelude; check, so the count below is exact.
    if (last.offset + last.length !== esl.length) throw new Error(`${path}: trailing non-event frames`);
    parts.push(esl.subarray(first.offset));
    events += frames.length;
  }
  return { name: `event-${format}-all`, format, unit: Buffer.concat(parts), eventsPerUnit: events };
}

/** Untimed check that both decoders see the same events, in order, with the same key headers. */
function crossCheck(c: Case): void {
  const chunks = chunked(c.unit, CHUNK_BYTES);
  const ours: string[] = [];
  oursDecode(chunks, (m) => {
    if (m.kind !== 'event') throw new Error(`${c.name}: unexpected ${m.kind} message`);
    const headerCount = Object.keys(m.event.headers).length + (m.event.body === undefined ? 0 : 1);
    ours.push(`${m.event.get('Event-Name')} ${m.event.get('Event-Sequence')} ${m.event.get('Event-Date-GMT')} ${headerCount}`);
  });
  const peer: string[] = [];
  modeslDecode(chunks, (e) => {
    // modesl keeps the body's Content-Length as a header; ours does not.
    const headerCount = e.headers.length;
    peer.push(`${String(e.getHeader('Event-Name'))} ${String(e.getHeader('Event-Sequence'))} ${String(e.getHeader('Event-Date-GMT'))} ${headerCount}`);
  });
  if (ours.length !== c.eventsPerUnit || peer.length !== c.eventsPerUnit) {
    throw new Error(`${c.name}: expected ${c.eventsPerUnit} events, ours ${ours.length}, modesl ${peer.length}`);
  }
  for (let i = 0; i < ours.length; i++) {
    if (ours[i] !== peer[i]) throw new Error(`${c.name}: event ${i} differs: ours '${ours[i]}', modesl '${peer[i]}'`);
  }
}

function runCase(c: Case): void {
  crossCheck(c);
  const { bytes, repetitions } = repeatToVolume(c.unit, VOLUME_BYTES);
  const chunks = chunked(bytes, CHUNK_BYTES);
  const expected = c.eventsPerUnit * repetitions;
  progress(`${c.name}: ${(bytes.length / 1e6).toFixed(1)} MB, ${expected} events per run, ${ROUNDS} rounds`);

  const measured = alternate<number>(
    [
      {
        name: 'freecti',
        run: () => {
          let events = 0;
          oursDecode(chunks, (m) => {
            if (m.kind === 'event') events++;
          });
          return events;
        },
      },
      {
        name: 'modesl',
        run: () => {
          let events = 0;
          modeslDecode(chunks, (e) => {
            if (e.type !== undefined) events++;
          });
          return events;
        },
      },
    ],
    {
      rounds: ROUNDS,
      clock: CLOCK,
      onRun: (name, run, r) =>
        progress(`  round ${r + 1} ${name.padEnd(8)} cpu ${run.cpuMs.toFixed(0).padStart(6)} ms  wall ${run.wallMs.toFixed(0).padStart(6)} ms`),
    },
  );
  const [ours, peer] = measured;
  if (ours === undefined || peer === undefined) throw new Error('missing measurements');
  for (const m of measured) {
    for (const count of m.results) {
      if (count !== expected) throw new Error(`${c.name}: ${m.name} decoded ${count} events, expected ${expected}`);
    }
  }
  progress(
    `  medians: freecti cpu ${ours.medianCpuMs.toFixed(0)} ms / wall ${ours.medianWallMs.toFixed(0)} ms, ` +
      `modesl cpu ${peer.medianCpuMs.toFixed(0)} ms / wall ${peer.medianWallMs.toFixed(0)} ms; ` +
      `ratio of medians ${(peer.medianMs / ours.medianMs).toFixed(2)}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
  const oursPerS = expected / (ours.medianMs / 1000);
  const peerPerS = expected / (peer.medianMs / 1000);
  printResult({
    case: c.name,
    format: c.format,
    events_per_s: round(oursPerS),
    mb_per_s: round(bytes.length / 1e6 / (ours.medianMs / 1000), 1),
    peer: 'modesl',
    peer_events_per_s: round(peerPerS),
    ratio: round(pairedSpeedup(ours, peer), 2),
  });
}

// BENCH_FORMATS=plain (or json) runs one case only, e.g. under `node --cpu-prof`.
const FORMATS = (process.env['BENCH_FORMATS'] ?? 'plain,json').split(',');
for (const format of ['plain', 'json'] as const) if (FORMATS.includes(format)) runCase(buildCase(format));
