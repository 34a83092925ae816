/** Reconnect backoff: exponential ceiling, full jitter, cap, reset; pure. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Backoff, backoffCeiling, backoffDelay } from '../../src/esl/backoff.js';

const options = { initialDelayMs: 250, maxDelayMs: 30_000 };

describe('backoff', () => {
  it('doubles the ceiling per attempt up to the cap', () => {
    assert.deepEqual([0, 1, 2, 3, 6, 7, 8, 500].map((a) => backoffCeiling(a, options)), [250, 500, 1000, 2000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('full jitter: random 0 gives 0, random just below 1 gives the ceiling', () => {
    assert.equal(backoffDelay(3, options, () => 0), 0);
    assert.equal(backoffDelay(3, options, () => 0.999_999_9), 2000);
    assert.equal(backoffDelay(3, options, () => 0.5), 1000);
  });

  it('always lies within [0, min(max, initial * 2^attempt)]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const delay = backoffDelay(attempt, options, () => r);
        return Number.isInteger(delay) && delay >= 0 && delay <= Math.min(30_000, 250 * 2 ** Math.min(attempt, 62));
      }),
    );
  });

  it('a Backoff counts attempts and starts over after reset()', () => {
    const backoff = new Backoff({ initialDelayMs: 10, maxDelayMs: 100 }, () => 0.999_999);
    assert.deepEqual([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()], [10, 20, 40, 80, 100]);
    assert.equal(backoff.attempts, 5);
    backoff.reset();
    assert.equal(backoff.next(), 10);
  });

  it('refuses nonsense settings', () => {
    assert.throws(() => new Backoff({ initialDelayMs: -1, maxDelayMs: 10 }), RangeError);
    assert.throws(() => new Backoff({ initialDelayMs: 100, maxDelayMs: 10 }), RangeError);
    assert.throws(() => backoffCeiling(0, { initialDelayMs: Number.NaN, maxDelayMs: 10 }), RangeError);
  });
});
