/**
 * Child processes for the HTTP benches: spawning a role of the bench script (optionally
 * pinned to a CPU core with `taskset`), reading its CPU time from /proc, the load average.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadavg } from 'node:os';

/** Path of `taskset` when BENCH_PIN=1 asks for pinning and the tool exists, else undefined. */
export function pinTool(): string | undefined {
  if (process.env['BENCH_PIN'] !== '1') return undefined;
  try {
    const path = execFileSync('which', ['taskset'], { encoding: 'utf8' }).trim();
    return path === '' ? undefined : path;
  } catch {
    return undefined;
  }
}

/** Pins this process (and so every child it spawns later, e.g. redis-server) to `core`. */
export function pinSelf(taskset: string | undefined, core: number): void {
  if (taskset === undefined) return;
  execFileSync(taskset, ['-cp', String(core), String(process.pid)], { stdio: 'ignore' });
}

export interface Role {
  proc: ChildProcess;
  /** Lines the child writes to stdout, in order. */
  lines: AsyncIterator<string>;
}

/** Runs `script --role ...args` under node + tsx, under `taskset -c core` when pinning; `stdin`: a pipe to it. */
export function spawnRole(script: string, args: readonly string[], taskset?: string, core?: number, stdin = false): Role {
  const node = [process.execPath, '--import', 'tsx', script, ...args];
  const [command, ...rest] = taskset !== undefined && core !== undefined ? [taskset, '-c', String(core), ...node] : node;
  const proc = spawn(command as string, rest, { stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'inherit'] });
  if (proc.stdout === null) throw new Error('no stdout from child');
  return { proc, lines: createInterface({ input: proc.stdout })[Symbol.asyncIterator]() };
}

export async function nextLine(role: Role): Promise<string> {
  const next = await role.lines.next();
  if (next.done === true) throw new Error(`child ${role.proc.pid ?? '?'} ended early (exit ${String(role.proc.exitCode)})`);
  return next.value;
}

/**
 * CPU time (user + system, µs) a process has used so far, from /proc (Linux; USER_HZ =
 * 100, so 10 ms resolution: measure over thousands of requests). Under `taskset` the
 * pid spawned is taskset's, which execs the program: same pid.
 */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

export function load1(): number {
  return Math.round((loadavg()[0] ?? 0) * 10) / 10;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
