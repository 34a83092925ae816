/**
 * Timing helpers for benchmarks on a small, noisy machine: run the contenders in
 * alternating order for several rounds and compare medians.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (() => void) | undefined;

/** Runs a full garbage collection when possible, so one run's garbage is not billed to the next. */
export function collectGarbage(): void {
  gc?.();
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * How runs are timed. 'cpu' is the CPU time of this process (user + system, all threads,
 * so GC helper threads count too): on a shared machine it does not include time spent
 * waiting for a core that another process has. 'wall' is elapsed time.
 */
export type Clock = 'cpu' | 'wall';

/** Milliseconds of one call of `fn` on both clocks, and its result. */
export function timeOnce<R>(fn: () => R): { wallMs: number; cpuMs: number; result: R } {
  collectGarbage();
  const cpuStart = process.cpuUsage();
  const wallStart = process.hrtime.bigint();
  const result = fn();
  const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { wallMs, cpuMs, result };
}

export interface Contender<R> {
  readonly name: string;
  readonly run: () => R;
}

export interface Measured<R> {
  readonly name: string;
  /** Milliseconds of every timed run on the chosen clock, in order. */
  readonly runs: number[];
  readonly medianMs: number;
  /** The other clock's median, for the record. */
  readonly medianWallMs: number;
  readonly medianCpuMs: number;
  /** Result of every timed run (e.g. an event count to check). */
  readonly results: R[];
}

/**
 * How many times faster `ours` is than `peer`: the median over rounds of peer time / our
 * time, each pair measured back to back in the same round. On a shared machine this is
 * steadier than a ratio of the two medians, since the pair shares the machine's state.
 */
export function pairedSpeedup(ours: Measured<unknown>, peer: Measured<unknown>): number {
  const ratios = ours.runs.map((ms, r) => (peer.runs[r] ?? Number.NaN) / ms);
  return median(ratios);
}

/**
 * Times each contender `rounds` times, alternating the order every round (A B, B A, A B...)
 * so drift of the machine (frequency, other load) hits all of them alike. `warmup` untimed
 * rounds come first to let the JIT settle.
 */
export function alternate<R>(
  contenders: readonly Contender<R>[],
  options: {
    rounds: number;
    warmup?: number;
    clock?: Clock;
    onRun?: (name: string, run: { wallMs: number; cpuMs: number }, round: number) => void;
  },
): Measured<R>[] {
  const clock = options.clock ?? 'wall';
  const runs = contenders.map(() => [] as number[]);
  const walls = contenders.map(() => [] as number[]);
  const cpus = contenders.map(() => [] as number[]);
  const results = contenders.map(() => [] as R[]);
  const warmup = options.warmup ?? 1;
  for (let round = -warmup; round < options.rounds; round++) {
    const order = contenders.map((_, i) => i);
    if (round % 2 !== 0) order.reverse();
    for (const i of order) {
      const contender = contenders[i] as Contender<R>;
      const { wallMs, cpuMs, result } = timeOnce(contender.run);
      if (round < 0) continue;
      (runs[i] as number[]).push(clock === 'cpu' ? cpuMs : wallMs);
      (walls[i] as number[]).push(wallMs);
      (cpus[i] as number[]).push(cpuMs);
      (results[i] as R[]).push(result);
      options.onRun?.(contender.name, { wallMs, cpuMs }, round);
    }
  }
  return contenders.map((c, i) => ({
    name: c.name,
    runs: runs[i] as number[],
    medianMs: median(runs[i] as number[]),
    medianWallMs: median(walls[i] as number[]),
    medianCpuMs: median(cpus[i] as number[]),
    results: results[i] as R[],
  }));
}
