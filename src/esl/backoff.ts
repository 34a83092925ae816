/**
 * Reconnect delays: exponential backoff with full jitter (a uniformly random delay
 * between 0 and min(maxDelayMs, initialDelayMs * 2^attempt)), so that many freecti
 * instances that lost the same FreeSWITCH do not reconnect in lock-step. Pure: the
 * random source is injectable.
 */
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
}

/** The ceiling of the delay before reconnect attempt `attempt` (0 = the first retry). */
export function backoffCeiling(attempt: number, options: BackoffOptions): number {
  if (!Number.isFinite(options.initialDelayMs) || options.initialDelayMs < 0) throw new RangeError('initialDelayMs must be >= 0');
  if (!Number.isFinite(options.maxDelayMs) || options.maxDelayMs < options.initialDelayMs) {
    throw new RangeError('maxDelayMs must be a number >= initialDelayMs');
  }
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 62);
  return Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** exponent);
}

/** A full-jitter delay in [0, ceiling], whole milliseconds. `random` returns [0, 1). */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = backoffCeiling(attempt, options);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(r * ceiling);
}

/** Counts attempts; `reset()` after a successful connection. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {
    backoffCeiling(0, options);
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    return backoffDelay(this.attempt++, this.options, this.random);
  }

  reset(): void {
    this.attempt = 0;
  }
}
