/**
 * Commands issued while an inbound client is not ready wait here, each still bounded by
 * its own timeout and AbortSignal, and start in order on the next ready connection with
 * whatever is left of their timeout.
 */
import { FreectiError } from '../errors.js';
import type { EslConnection } from './connection.js';
import { bound, deferred } from './deferred.js';
import type { CommandOptions } from './types.js';

interface Entry {
  start(connection: EslConnection): void;
  fail(error: Error): void;
}

export class CommandQueue {
  private readonly entries = new Set<Entry>();

  get size(): number {
    return this.entries.size;
  }

  enqueue<T, O extends CommandOptions>(
    label: string,
    options: O,
    defaultTimeoutMs: number,
    run: (connection: EslConnection, options: O) => Promise<T>,
  ): Promise<T> {
    const result = deferred<T>();
    const queuedAt = Date.now();
    const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
    const release = bound(
      result,
      timeoutMs,
      options.signal,
      () => new FreectiError('ESL_TIMEOUT', `'${label}' not sent within ${timeoutMs} ms: FreeSWITCH not connected`),
      () => new FreectiError('ESL_ABORTED', `'${label}' aborted while waiting for the connection`),
    );
    const entry: Entry = {
      start: (connection) => {
        if (result.settled) return;
        release();
        const remaining = Math.max(1, timeoutMs - (Date.now() - queuedAt));
        run(connection, { ...options, timeoutMs: remaining }).then(result.resolve, result.reject);
      },
      fail: (error) => result.reject(error),
    };
    this.entries.add(entry);
    const forget = (): void => {
      this.entries.delete(entry);
    };
    result.promise.then(forget, forget);
    return result.promise;
  }

  /** Starts every waiting command on `connection`, oldest first. */
  flush(connection: EslConnection): void {
    const entries = [...this.entries];
    this.entries.clear();
    for (const entry of entries) entry.start(connection);
  }

  failAll(makeError: () => Error): void {
    const entries = [...this.entries];
    this.entries.clear();
    for (const entry of entries) entry.fail(makeError());
  }
}
