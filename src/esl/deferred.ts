/** A promise with its settle functions, settled at most once, optionally bounded by a timeout and a signal. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly settled: boolean;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolveFn!: (value: T) => void;
  let rejectFn!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    resolveFn = resolve;
    rejectFn = reject;
  });
  // Nobody may be listening (a background job nobody waits for): never an unhandled rejection.
  promise.catch(() => undefined);
  let settled = false;
  return {
    promise,
    get settled() {
      return settled;
    },
    resolve(value) {
      if (settled) return;
      settled = true;
      resolveFn(value);
    },
    reject(error) {
      if (settled) return;
      settled = true;
      rejectFn(error);
    },
  };
}

/**
 * Rejects `d` after `timeoutMs` (makeTimeoutError) or when `signal` aborts (makeAbortError);
 * clears both when `d` settles. Returns a cleanup function.
 */
export function bound<T>(
  d: Deferred<T>,
  timeoutMs: number | undefined,
  signal: AbortSignal | undefined,
  makeTimeoutError: () => Error,
  makeAbortError: () => Error,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => d.reject(makeAbortError());
  const cleanup = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
    timer = setTimeout(() => d.reject(makeTimeoutError()), timeoutMs);
    timer.unref?.();
  }
  if (signal !== undefined) {
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  d.promise.then(cleanup, cleanup);
  return cleanup;
}
