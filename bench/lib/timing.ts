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

/** Wall-clock milliseconds of one call of `fn`, and its result. */
export function timeOnce<R>(fn: () => R): { ms: number; result: R } {
  collectGarbage();
  const started = process.hrtime.bigint();
  const result = fn();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  return { ms, result };
}

export interface Contender<R> {
  readonly name: string;
  readonly run: () => R;
}

export interface Measured<R> {
  readonly name: string;
  /** Milliseconds of every timed run, in order. */
  readonly runs: number[];
  readonly medianMs: number;
  /** Result of every timed run (e.g. an event count to check). */
  readonly results: R[];
}

/**
 * Times each contender `rounds` times, alternating the order every round (A B, B A, A B...)
 * so drift of the machine (frequency, other load) hits all of them alike. `warmup` untimed
 * rounds come first to let the JIT settle.
 */
export function alternate<R>(
  contenders: readonly Contender<R>[],
  options: { rounds: number; warmup?: number; onRun?: (name: string, ms: number, round: number) => void },
): Measured<R>[] {
  const runs = contenders.map(() => [] as number[]);
  const results = contenders.map(() => [] as R[]);
  const warmup = options.warmup ?? 1;
  for (let round = -warmup; round < options.rounds; round++) {
    const order = contenders.map((_, i) => i);
    if (round % 2 !== 0) order.reverse();
    for (const i of order) {
      const contender = contenders[i] as Contender<R>;
      const { ms, result } = timeOnce(contender.run);
      if (round < 0) continue;
      (runs[i] as number[]).push(ms);
      (results[i] as R[]).push(result);
      options.onRun?.(contender.name, ms, round);
    }
  }
  return contenders.map((c, i) => ({
    name: c.name,
    runs: runs[i] as number[],
    medianMs: median(runs[i] as number[]),
    results: results[i] as R[],
  }));
}
