/**
 * Streaming ESL decoder: a pure function of bytes to messages. It knows no socket and
 * no call. Feed it TCP chunks split anywhere; it emits each complete message once.
 *
 * Framing (from the recordings, see test/fixtures/freeswitch/README.md):
 * a header block ends with an empty line (LF LF); a body of exactly `Content-Length`
 * bytes follows when that header is present. Frames start with `Content-Type:`,
 * `Content-Length:` (events) or `Event-Name:` (the outbound `connect` reply).
 *
 * Bad input never throws: bytes that cannot start a frame are reported as one
 * `garbage` message and skipped up to the next plausible frame start.
 */
import { EslEvent } from './event.js';
import type { EslMessage, FrameHeaders } from './messages.js';
import { decodeFrameHeaders, parseFrameHeaders, parseJsonEventBody, parsePlainEventBody } from './parse-headers.js';

export interface EslDecoderOptions {
  /** Largest body accepted (bytes); a larger Content-Length is treated as garbage. Default 64 MiB. */
  maxBodyBytes?: number;
  /** Largest header block accepted (bytes) before the buffered bytes are dropped. Default 1 MiB. */
  maxHeaderBytes?: number;
}

export type EmitMessage = (message: EslMessage) => void;

const HEADER_END = Buffer.from('\n\n', 'latin1');
const FRAME_STARTS = ['Content-Type: ', 'Content-Length: ', 'Event-Name: '].map((t) => Buffer.from(t, 'latin1'));
const LONGEST_START = Math.max(...FRAME_STARTS.map((t) => t.length));
const DIGITS = /^\d{1,15}$/;

interface PendingBody {
  headers: FrameHeaders;
  length: number;
}

export class EslDecoder {
  private readonly maxBodyBytes: number;
  private readonly maxHeaderBytes: number;
  /** Unconsumed bytes live in buf[start, end). */
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Bytes after `start` already searched for the header end without success. */
  private scanned = 0;
  private pending: PendingBody | null = null;

  constructor(options: EslDecoderOptions = {}) {
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
    this.maxHeaderBytes = options.maxHeaderBytes ?? 1024 * 1024;
  }

  /** Bytes received but not yet part of a complete message. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /** Forgets any partial message (call after a reconnect). */
  reset(): void {
    this.buf = Buffer.alloc(0);
    this.start = 0;
    this.end = 0;
    this.scanned = 0;
    this.pending = null;
  }

  /** Decodes as many messages as `chunk` completes and passes each to `emit`, in order. */
  push(chunk: Buffer, emit: EmitMessage): void {
    if (chunk.length === 0) return;
    if (this.start === this.end) {
      // Nothing buffered: decode straight from the chunk, keep only its tail.
      const consumed = this.decode(chunk, 0, chunk.length, emit);
      this.store(chunk, consumed, chunk.length);
      return;
    }
    this.append(chunk);
    this.start = this.decode(this.buf, this.start, this.end, emit);
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
  }

  /** Convenience for tests and tools: every message of a complete byte string. */
  static decodeAll(bytes: Buffer, options?: EslDecoderOptions): EslMessage[] {
    const out: EslMessage[] = [];
    new EslDecoder(options).push(bytes, (m) => out.push(m));
    return out;
  }

  private store(source: Buffer, from: number, to: number): void {
    const length = to - from;
    if (length === 0) return;
    if (this.buf.length < length) this.buf = Buffer.allocUnsafe(Math.max(length, 4096));
    source.copy(this.buf, 0, from, to);
    this.start = 0;
    this.end = length;
  }

  private append(chunk: Buffer): void {
    const used = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      const needed = used + chunk.length;
      if (needed <= this.buf.length && this.start > 0) {
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        const next = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2));
        this.buf.copy(next, 0, this.start, this.end);
        this.buf = next;
      }
      this.start = 0;
      this.end = used;
    }
    chunk.copy(this.buf, this.end);
    this.end += chunk.length;
  }

  /** Decodes frames from data[s, e); returns the offset of the first unconsumed byte. */
  private decode(data: Buffer, s: number, e: number, emit: EmitMessage): number {
    for (;;) {
      const pending = this.pending;
      if (pending !== null) {
        if (e - s < pending.length) return s;
        this.pending = null;
        const body = data.toString('utf8', s, s + pending.length);
        s += pending.length;
        this.emitFrame(pending.headers, body, emit);
        continue;
      }
      if (s >= e) return s;
      const searchFrom = s + Math.max(0, this.scanned - 1);
      const idx = data.indexOf(HEADER_END, searchFrom);
      if (idx === -1 || idx + 2 > e) {
        // (a match reaching past e would use stale bytes of the buffer)
        this.scanned = e - s;
        if (this.scanned > this.maxHeaderBytes) return this.dropOversizedHeader(s, e, emit);
        return s;
      }
      this.scanned = 0;
      const next = idx + 2;
      const frameStart = findFrameStart(data, s, idx);
      if (frameStart !== s) {
        // Not a frame start: skip to the next plausible one (or past this block).
        const skipTo = frameStart === -1 ? next : frameStart;
        emit({ kind: 'garbage', reason: 'bytes before a frame start', bytes: skipTo - s });
        s = skipTo;
        continue;
      }
      const headers = parseFrameHeaders(data.toString('utf8', s, idx));
      s = next;
      if (headers['Content-Type'] === undefined) {
        emit({ kind: 'garbage', reason: 'header block without Content-Type', bytes: next - frameStart });
        continue;
      }
      const lengthText = headers['Content-Length'];
      if (lengthText === undefined) {
        this.emitFrame(headers, undefined, emit);
        continue;
      }
      const length = DIGITS.test(lengthText) ? Number(lengthText) : Number.NaN;
      if (!(length <= this.maxBodyBytes)) {
        emit({ kind: 'garbage', reason: `invalid Content-Length '${lengthText.slice(0, 32)}'`, bytes: next - frameStart });
        continue;
      }
      this.pending = { headers, length };
    }
  }

  private dropOversizedHeader(s: number, e: number, emit: EmitMessage): number {
    // Keep a tail that could hold the beginning of a frame start token.
    const keep = Math.min(LONGEST_START, e - s);
    emit({ kind: 'garbage', reason: 'header block larger than maxHeaderBytes', bytes: e - s - keep });
    this.scanned = 0;
    return e - keep;
  }

  private emitFrame(headers: FrameHeaders, body: string | undefined, emit: EmitMessage): void {
    const contentType = headers['Content-Type'] ?? '';
    switch (contentType) {
      case 'text/event-plain': {
        const parsed = parsePlainEventBody(body ?? '');
        emit({ kind: 'event', format: 'plain', event: new EslEvent(parsed.headers, parsed.body) });
        return;
      }
      case 'text/event-json': {
        let parsed: ReturnType<typeof parseJsonEventBody>;
        try {
          parsed = parseJsonEventBody(body ?? '');
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          emit({ kind: 'garbage', reason: `invalid event JSON: ${reason}`, bytes: Buffer.byteLength(body ?? '') });
          return;
        }
        emit({ kind: 'event', format: 'json', event: new EslEvent(parsed.headers, parsed.body) });
        return;
      }
      case 'command/reply':
        emit(commandReply(headers));
        return;
      case 'api/response':
        emit({ kind: 'api-response', headers, body: body ?? '' });
        return;
      case 'auth/request':
        emit({ kind: 'auth-request', headers });
        return;
      case 'log/data':
        emit({ kind: 'log', headers, body: body ?? '' });
        return;
      case 'text/disconnect-notice':
        emit({ kind: 'disconnect-notice', headers, body: body ?? '' });
        return;
      case 'text/rude-rejection':
        emit({ kind: 'rude-rejection', headers, body: body ?? '' });
        return;
      default:
        emit({ kind: 'unknown', contentType, headers, body });
    }
  }
}

function commandReply(headers: FrameHeaders): EslMessage {
  if (headers['Event-Name'] === undefined) {
    return { kind: 'command-reply', headers, replyText: headers['Reply-Text'] ?? '' };
  }
  // The outbound `connect` reply: url-encoded channel data, Reply-Text `%2BOK%0A`.
  const decoded = decodeFrameHeaders(headers);
  const replyValue = decoded['Reply-Text'];
  const replyText = (typeof replyValue === 'string' ? replyValue : (replyValue?.[0] ?? '')).trimEnd();
  const plain: FrameHeaders = Object.create(null) as FrameHeaders;
  for (const name of Object.keys(decoded)) {
    const value = decoded[name];
    plain[name] = typeof value === 'string' ? value : (value ?? []).join('|:');
  }
  plain['Reply-Text'] = replyText;
  return { kind: 'command-reply', headers: plain, replyText, channelData: new EslEvent(decoded) };
}

/** Offset of the earliest frame-start token in data[s, end), or -1. A block that starts with one returns s. */
function findFrameStart(data: Buffer, s: number, end: number): number {
  for (const token of FRAME_STARTS) {
    if (end - s >= token.length && data.compare(token, 0, token.length, s, s + token.length) === 0) return s;
  }
  let best = -1;
  const block = data.subarray(s, end);
  for (const token of FRAME_STARTS) {
    const at = block.indexOf(token);
    if (at !== -1 && (best === -1 || at < best)) best = at;
  }
  return best === -1 ? -1 : s + best;
}
