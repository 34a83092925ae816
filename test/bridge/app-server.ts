/**
 * A real business application for cti_bridge tests: node:http on 127.0.0.1:0. It records
 * every request (form fields) in arrival order and answers `action=request` with the
 * scripted reply; notifications get 200, or a 503 for the first `failNotifications` ones.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AppReply {
  status?: number;
  body: string;
  delayMs?: number;
}

export interface AppServer {
  url: string;
  /** Every request's form fields, in arrival order. */
  readonly requests: Record<string, string>[];
  /** The HTTP method of every request, in arrival order. */
  readonly methods: string[];
  /** Notification actions received (not `request`), in order, per uuid. */
  actions(uuid: string): string[];
  /** Resolves once `n` requests with this action arrived. */
  waitFor(action: string, n?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startAppServer(reply: (fields: Record<string, string>) => AppReply, options: { failNotifications?: number } = {}): Promise<AppServer> {
  const requests: Record<string, string>[] = [];
  const methods: string[] = [];
  let failures = options.failNotifications ?? 0;
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    void readBody(req).then(async (text) => {
      // A POST carries the fields as a form body; a GET (cti_bridge method=GET) in the query string.
      const fields = req.method === 'GET' ? Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams) : Object.fromEntries(new URLSearchParams(text));
      methods.push(req.method ?? '');
      if (fields['action'] !== 'request' && failures > 0) {
        failures--;
        res.writeHead(503).end('try later');
        return;
      }
      requests.push(fields);
      for (const wake of waiters) wake();
      if (fields['action'] !== 'request') return void res.writeHead(200).end('ok');
      const answer = reply(fields);
      if (answer.delayMs !== undefined) await new Promise((r) => setTimeout(r, answer.delayMs));
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bridge`,
    requests,
    methods,
    actions: (uuid) => requests.filter((r) => r['uuid'] === uuid && r['action'] !== 'request').map((r) => r['action'] ?? ''),
    async waitFor(action, n = 1, timeoutMs = 5000) {
      const count = (): number => requests.filter((r) => r['action'] === action).length;
      if (count() >= n) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`timed out waiting for ${n} x action=${action}; got ${requests.map((r) => r['action']).join(',')}`));
        }, timeoutMs);
        const wake = (): void => {
          if (count() < n) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        waiters.add(wake);
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
