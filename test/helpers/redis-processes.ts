/**
 * Starting and stopping redis-server processes for the Sentinel and Cluster suites:
 * loopback, free ports, a temporary directory of their own, and a cleanup that kills
 * every process and removes the directory even when a test fails (and, as a last
 * resort, when the test process exits without running it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface RedisProcess {
  port: number;
  /** SIGKILL (a crash); resolves once the process is gone. */
  kill(): Promise<void>;
  readonly alive: boolean;
}

/** A group of redis processes sharing one temporary directory. */
export class RedisProcesses {
  readonly dir: string;
  private readonly children = new Set<ChildProcess>();
  private readonly onExit = (): void => this.killAllSync();

  constructor(name: string) {
    this.dir = mkdtempSync(join(tmpdir(), `freecti-${name}-`));
    process.once('exit', this.onExit);
  }

  /** Starts `redis-server <conf file>` (plus `args`) and waits until it answers PING. */
  async start(port: number, conf: string, args: readonly string[] = [], password?: string): Promise<RedisProcess> {
    const file = join(this.dir, `${port}.conf`);
    writeFileSync(file, `port ${port}\nbind 127.0.0.1\ndir ${this.dir}\n${conf}\n`);
    const child = spawn('redis-server', [file, ...args], { stdio: 'ignore' });
    this.children.add(child);
    let alive = true;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        alive = false;
        this.children.delete(child);
        resolve();
      });
    });
    await waitForPing(port, password);
    return {
      port,
      get alive() {
        return alive;
      },
      async kill() {
        if (alive) child.kill('SIGKILL');
        await exited;
      },
    };
  }

  /** Kills every process and removes the directory. */
  async stop(): Promise<void> {
    const gone = [...this.children].map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    }));
    this.killAllSync();
    await Promise.all(gone);
    process.off('exit', this.onExit);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private killAllSync(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}

/** Waits (up to 10 s) until a server on the loopback port answers PING. */
export async function waitForPing(port: number, password?: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(password === undefined ? {} : { password }) });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return;
    } catch (error) {
      probe.disconnect();
      if (Date.now() > deadline) throw new Error(`redis on port ${port} did not answer: ${String(error)}`, { cause: error });
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** A short-lived client of one loopback server (the caller disconnects it). */
export function directClient(port: number): Redis {
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => undefined);
  return client;
}

/** Polls `check` every 50 ms until it holds, up to `ms`; `what` names it in the error. */
export async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    let ok: boolean;
    try {
      ok = await check();
    } catch {
      ok = false;
    }
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
