/**
 * A real node:http "business application" on 127.0.0.1:<random port> for webhook tests.
 * `handler` may be swapped between tests; every request is recorded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  remotePort: number;
}

export type Handler = (req: SeenRequest, res: ServerResponse) => void;

export interface TestApp {
  url: string;
  seen: SeenRequest[];
  handler: Handler;
  close(): Promise<void>;
}

export async function startApp(handler: Handler): Promise<TestApp> {
  const app: Partial<TestApp> & { seen: SeenRequest[]; handler: Handler } = { seen: [], handler };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        remotePort: req.socket.remotePort ?? 0,
      };
      app.seen.push(seen);
      app.handler(seen, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  app.url = `http://127.0.0.1:${port}`;
  app.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return app as TestApp;
}

export function json(res: ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
