/**
 * A clock whose time only moves when the test says so (`advance`): timers scheduled on
 * it fire in time order, synchronously, as the time passes them. Lets a test drive the
 * node lease's renewals and local expiry without waiting out real time.
 */
import type { LeaseClock } from '../../src/cluster/node-lease.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements LeaseClock {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<number, Timer>();

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const seq = ++this.seq;
    this.timers.set(seq, { at: this.time + Math.max(0, ms), seq, fn });
    return seq;
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves the time forward by `ms`, firing every timer due on the way, earliest first. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.timers.values()) {
        if (timer.at <= end && (next === undefined || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))) next = timer;
      }
      if (next === undefined) break;
      this.timers.delete(next.seq);
      this.time = next.at;
      next.fn();
    }
    this.time = end;
  }
}
