/**
 * Test harness for the xml_curl endpoint: the real app (buildApp) on a real Redis,
 * a captured JSON log, and the recorded mod_xml_curl requests.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { connect } from 'node:net';
import { validateConfig } from '../../src/config/load.js';
import type { Config, ConfigInput } from '../../src/config/schema.js';
import { FreectiError } from '../../src/errors.js';
import type { FsPool } from '../../src/esl/types.js';
import { buildApp, type AppPlugin } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import type { RedisClient } from '../../src/redis.js';
import { XmlCurlSections } from '../../src/xml-curl/sections.js';
import { fixturePath } from '../helpers/fixtures.js';

export const pool: FsPool = {
  nodes: [],
  get() {
    throw new FreectiError('ESL_NOT_CONNECTED');
  },
  statuses: () => [],
  async close() {},
};

export interface Harness {
  app: ReturnType<typeof buildApp>;
  config: Config;
  logs: Record<string, unknown>[];
  sections: XmlCurlSections;
}

export function makeApp(redis: RedisClient, input: ConfigInput, extraRoutes: AppPlugin[] = []): Harness {
  const config = validateConfig(input);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const sections = new XmlCurlSections();
  const app = buildApp(
    { config, logger: createLogger('info', sink), redis, pool, metrics: createMetrics({ defaultMetrics: false }), version: 't', xmlCurl: sections },
    extraRoutes,
  );
  return { app, config, logs, sections };
}

/** A recorded mod_xml_curl request (test/fixtures/freeswitch/xml-curl/<name>.http). */
export function recordedRequest(name: string): { raw: Buffer; head: string; body: string } {
  const raw = readFileSync(fixturePath(`xml-curl/${name}.http`));
  const split = raw.indexOf('\r\n\r\n');
  return { raw, head: raw.subarray(0, split).toString('latin1'), body: raw.subarray(split + 4).toString('latin1') };
}

/** The body of a recorded request with some fields replaced (order kept; absent fields appended). */
export function withFields(body: string, changes: Record<string, string | undefined>): string {
  const params = new URLSearchParams(body);
  const out: string[] = [];
  const done = new Set<string>();
  for (const [k, v] of params) {
    if (k in changes) {
      done.add(k);
      const value = changes[k];
      if (value !== undefined) out.push(`${k}=${encodeURIComponent(value)}`);
    } else out.push(`${k}=${encodeURIComponent(v)}`);
  }
  for (const [k, v] of Object.entries(changes)) if (!done.has(k) && v !== undefined) out.push(`${k}=${encodeURIComponent(v)}`);
  return out.join('&');
}

/**
 * Sends a recorded request byte for byte over a real TCP socket (only the request
 * line's path is changed from the recorder's `/fsapi` to ours) and returns the raw answer.
 */
export async function sendRaw(port: number, raw: Buffer, path = '/freeswitch/xml'): Promise<{ status: number; headers: string; body: string }> {
  const text = raw.toString('latin1').replace(/^POST \/fsapi /, `POST ${path} `);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const split = buffer.indexOf('\r\n\r\n');
      if (split === -1) return;
      const headers = buffer.subarray(0, split).toString('latin1');
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(headers)?.[1] ?? '0');
      if (buffer.length < split + 4 + length) return;
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1]), headers, body: buffer.subarray(split + 4, split + 4 + length).toString('utf8') });
    });
    // Exactly the recorded bytes (mod_xml_curl sends no Connection header and one request per connection).
    socket.write(Buffer.from(text, 'latin1'));
  });
}
