/**
 * Bench output: exactly one JSON line per measured case on stdout (machine-readable),
 * everything else (progress, diagnostics) on stderr.
 */
export type ResultLine = Record<string, string | number | boolean>;

export function printResult(line: ResultLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Rounds to `digits` decimals (keeps the JSON lines short and stable). */
export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
