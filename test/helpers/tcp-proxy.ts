/**
 * A TCP proxy on loopback in front of a real server (Redis), to make it slow or hang
 * without touching it: `delay(ms)` holds every chunk from the client for `ms` before
 * passing it on (order kept); `hold()` passes nothing on until `release()` (a hung
 * server; what was held is then sent, in order) or `releaseOne()` (the oldest chunk
 * only). `clientBytes` is everything clients sent while `record` is on, for tests that
 * count commands.
 */
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  /** Keep what clients send in `clientBytes` (off: a long bench would keep it all). */
  record = false;
  /** What the clients sent while `record` was on, in order (tests search it for commands). */
  clientBytes = '';
  private delayMs = 0;
  private held = false;
  private readonly waiting: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly targetPort: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const proxy = new TcpProxy(server, port, targetPort);
    server.on('connection', (client) => proxy.accept(client, targetHost));
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Every client chunk waits `ms` before it is forwarded (0: at once). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /** Forwards nothing from clients until `release()`. */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    for (const send of this.waiting.splice(0)) send();
  }

  /** Forwards the oldest held chunk only (one command, when a client sends one at a time). */
  releaseOne(): void {
    this.waiting.shift()?.();
  }

  /** Chunks clients sent while held, not forwarded yet. */
  get heldChunks(): number {
    return this.waiting.length;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, targetHost: string): void {
    const upstream = createConnection({ host: targetHost, port: this.targetPort });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    // One chain per connection keeps the order of chunks whatever the delay.
    let chain = Promise.resolve();
    client.on('data', (chunk: Buffer) => {
      if (this.record) this.clientBytes += chunk.toString('latin1');
      chain = chain.then(() => this.pass()).then(() => {
        if (!upstream.destroyed) upstream.write(chunk);
      });
    });
  }

  private pass(): Promise<void> {
    return new Promise((resolve) => {
      const go = (): void => {
        if (this.delayMs > 0) setTimeout(resolve, this.delayMs);
        else resolve();
      };
      if (this.held) this.waiting.push(go);
      else go();
    });
  }
}
