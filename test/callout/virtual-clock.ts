/**
 * The campaign runner's clock in tests: time moves only when the runner sleeps
 * (`sleep(ms)` adds ms and yields once), so pacing is checked without waiting real time.
 */
import type { CalloutClock } from '../../src/callout/campaign.js';

export class VirtualClock implements CalloutClock {
  constructor(public time = 1_000_000) {}
  now(): number {
    return this.time;
  }
  sleep(ms: number): Promise<void> {
    this.time += ms;
    return new Promise((resolve) => setImmediate(resolve));
  }
}
