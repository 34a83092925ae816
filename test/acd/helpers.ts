/**
 * ACD test helpers: a manual clock (time moves only when the test says so; timers armed on
 * it fire when it passes their due time) and an engine factory on a fresh key prefix.
 */
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { AcdEngine } from '../../src/acd/engine.js';
import { parseAgent, parseQueue } from '../../src/acd/config.js';
import type { AcdClock, AcdEvent, Offer } from '../../src/acd/types.js';
import { Keys } from '../../src/keys.js';

export class ManualClock implements AcdClock {
  private timers = new Map<number, { at: number; fn: () => void }>();
  private seq = 0;
  constructor(public time = 1_700_000_000_000) {}
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves time on; the armed timers that come due are dropped (tests call engine.tick()). */
  advance(ms: number): void {
    this.time += ms;
    for (const [id, t] of this.timers) if (t.at <= this.time) this.timers.delete(id);
  }
  get armed(): number[] {
    return [...this.timers.values()].map((t) => t.at).sort((a, b) => a - b);
  }
}

export const silent = pino({ level: 'silent' });

/** A seeded PRNG (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Harness {
  engine: AcdEngine;
  keys: Keys;
  clock: ManualClock;
  offers: Offer[];
  events: AcdEvent[];
}

export function harness(redis: Redis, prefix: string, options: { clock?: ManualClock; registrationsHash?: string | null; seed?: number } = {}): Harness {
  const keys = new Keys(prefix);
  const clock = options.clock ?? new ManualClock();
  const engine = new AcdEngine({
    redis,
    keys,
    logger: silent,
    clock,
    registrationsHash: options.registrationsHash ?? null,
    registrationField: 'extension',
    random: seeded(options.seed ?? 1),
  });
  const offers: Offer[] = [];
  const events: AcdEvent[] = [];
  engine.onOffer((o) => offers.push(o));
  engine.onEvent((e) => events.push(e));
  return { engine, keys, clock, offers, events };
}

export async function queue(engine: AcdEngine, name: string, settings: Record<string, unknown> = {}): Promise<void> {
  const q = parseQueue(name, settings);
  if (!q.ok) throw new Error(q.error);
  await engine.putQueue(q.value);
}

export async function agent(engine: AcdEngine, id: string, settings: Record<string, unknown> = {}, tiers: Record<string, [number, number]> = {}): Promise<void> {
  const a = parseAgent(id, { contact: { type: 'extension', extension: id }, ...settings });
  if (!a.ok) throw new Error(a.error);
  await engine.putAgent(a.value);
  for (const [q, [level, position]] of Object.entries(tiers)) await engine.putTier(q, id, level, position);
}

let callSeq = 0;
export function callUuid(): string {
  callSeq += 1;
  return `call-${String(callSeq).padStart(6, '0')}`;
}
