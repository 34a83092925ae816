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
 * `garbage` message and skipped up to the next plausible frame start (one of the three
 * tokens above), or past the header block when it holds none.
 */
import { frameToMessage } from './frame-message.js';
import type { EslMessage, FrameHeaders } from './messages.js';
import { parseFrameHeaders } from './parse-headers.js';

export interface EslDecoderOptions {
  /** Largest body accepted (bytes); a larger Content-Length is treated as garbage. Default 64 MiB. */
  maxBodyBytes?: number;
  /** Largest header block accepted (bytes) before the buffered bytes are dropped. Default 1 MiB. */
  maxHeaderBytes?: number;
}

export type EmitMessage = (message: EslMessage) => void;

const LF = 10;
const HEADER_END = Buffer.from('\n\n', 'latin1');
const FRAME_STARTS = ['Content-Type: ', 'Content-Length: ', 'Event-Name: '].map((t) => Buffer.from(t, 'latin1'));
const LONGEST_START = Math.max(...FRAME_STARTS.map((t) => t.length));
const MAX_LENGTH_DIGITS = 15;
/** A larger buffer (left by a large frame) is released once it is no longer needed. */
const KEEP_BUFFER_BYTES = 1024 * 1024;

interface PendingBody {
  headers: FrameHeaders;
  length: number;
}

export class EslDecoder {
  private readonly maxBodyBytes: number;
  private readonly maxHeaderBytes: number;
  /** Bytes of an incomplete frame live in buf[start, end). */
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** Bytes after `start` already searched for the header end without success. */
  private scanned = 0;
  /** A header block was read; its body is still incomplete. */
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
    let offset = 0;
    // An incomplete frame is buffered: copy only the bytes that complete its header or
    // body, so most of the chunk is decoded in place, without copying.
    while (this.start !== this.end && offset < chunk.length) {
      const take = this.bytesToComplete(chunk, offset);
      this.append(chunk, offset, offset + take);
      offset += take;
      this.start = this.decode(this.buf, this.start, this.end, emit);
      if (this.start === this.end) {
        this.start = 0;
        this.end = 0;
      }
    }
    if (offset < chunk.length) {
      const consumed = this.decode(chunk, offset, chunk.length, emit);
      this.store(chunk, consumed, chunk.length);
    } else if (this.start === this.end && this.buf.length > KEEP_BUFFER_BYTES) {
      this.buf = Buffer.alloc(0); // a large frame is done: do not hold its buffer
    }
  }

  /** Convenience for tests and tools: every message of a complete byte string. */
  static decodeAll(bytes: Buffer, options?: EslDecoderOptions): EslMessage[] {
    const out: EslMessage[] = [];
    new EslDecoder(options).push(bytes, (m) => out.push(m));
    return out;
  }

  /** How many bytes of chunk[offset..] the buffered frame needs to finish its body or header block (at most all of them). */
  private bytesToComplete(chunk: Buffer, offset: number): number {
    const available = chunk.length - offset;
    const pending = this.pending;
    if (pending !== null) return Math.min(available, pending.length - (this.end - this.start));
    if (this.buf[this.end - 1] === LF && chunk[offset] === LF) return 1;
    const headerEnd = chunk.indexOf(HEADER_END, offset);
    return headerEnd === -1 ? available : headerEnd + 2 - offset;
  }

  /** Keeps source[from, to) as the buffered bytes (nothing else is buffered). */
  private store(source: Buffer, from: number, to: number): void {
    const length = to - from;
    if (length === 0) {
      if (this.buf.length > KEEP_BUFFER_BYTES) this.buf = Buffer.alloc(0);
      return;
    }
    if (this.buf.length < length || (this.buf.length > KEEP_BUFFER_BYTES && length <= KEEP_BUFFER_BYTES)) {
      this.buf = Buffer.allocUnsafe(Math.max(length, 4096));
    }
    source.copy(this.buf, 0, from, to);
    this.start = 0;
    this.end = length;
  }

  private append(source: Buffer, from: number, to: number): void {
    const length = to - from;
    const used = this.end - this.start;
    if (this.end + length > this.buf.length) {
      const needed = used + length;
      if (needed <= this.buf.length) {
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        const next = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2));
        this.buf.copy(next, 0, this.start, this.end);
        this.buf = next;
      }
      this.start = 0;
      this.end = used;
    }
    source.copy(this.buf, this.end, from, to);
    this.end += length;
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
        emit(frameToMessage(pending.headers, body));
        continue;
      }
      if (s >= e) return s;
      const searchFrom = s + Math.max(0, this.scanned - 1);
      const idx = data.indexOf(HEADER_END, searchFrom);
      if (idx === -1 || idx + 2 > e) {
        // (a match reaching past e would use stale bytes of the buffer)
        this.scanned = e - s;
        if (this.scanned > this.maxHeaderBytes) return this.dropOversizedHeader(data, s, e, emit);
        return s;
      }
      this.scanned = 0;
      const next = idx + 2;
      if (!startsWithFrameToken(data, s, idx)) {
        // Not a frame start: skip to the next plausible one (or past this block).
        const tokenAt = findFrameToken(data, s, idx);
        const skipTo = tokenAt === -1 ? next : tokenAt;
        emit({ kind: 'garbage', reason: 'bytes before a frame start', bytes: skipTo - s });
        s = skipTo;
        continue;
      }
      const frameStart = s;
      const headers = parseFrameHeaders(data.toString('utf8', s, idx));
      s = next;
      if (headers['Content-Type'] === undefined) {
        emit({ kind: 'garbage', reason: 'header block without Content-Type', bytes: next - frameStart });
        continue;
      }
      const lengthText = headers['Content-Length'];
      if (lengthText === undefined) {
        emit(frameToMessage(headers, undefined));
        continue;
      }
      const length = parseLength(lengthText);
      if (!(length <= this.maxBodyBytes)) {
        emit({ kind: 'garbage', reason: `invalid Content-Length '${lengthText.slice(0, 32)}'`, bytes: next - frameStart });
        continue;
      }
      this.pending = { headers, length };
    }
  }

  private dropOversizedHeader(data: Buffer, s: number, e: number, emit: EmitMessage): number {
    // Keep the last frame start token that still fits, else a tail that could hold the
    // beginning of one (e - s > maxHeaderBytes, so something is always dropped).
    const block = data.subarray(s, e);
    let keepFrom = e - Math.min(LONGEST_START - 1, this.maxHeaderBytes);
    for (const token of FRAME_STARTS) {
      const at = block.lastIndexOf(token);
      if (at > 0 && e - (s + at) <= this.maxHeaderBytes) keepFrom = Math.min(keepFrom, s + at);
    }
    emit({ kind: 'garbage', reason: 'header block larger than maxHeaderBytes', bytes: keepFrom - s });
    this.scanned = 0;
    return keepFrom;
  }
}

/** `Content-Length` as a number, NaN unless it is 1 to 15 ASCII digits. */
function parseLength(text: string): number {
  if (text.length === 0 || text.length > MAX_LENGTH_DIGITS) return Number.NaN;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

function matchesAt(data: Buffer, at: number, end: number, token: Buffer): boolean {
  if (end - at < token.length) return false;
  for (let k = 0; k < token.length; k++) if (data[at + k] !== token[k]) return false;
  return true;
}

/** Whether data[s, end) starts with a frame start token. */
function startsWithFrameToken(data: Buffer, s: number, end: number): boolean {
  for (const token of FRAME_STARTS) if (matchesAt(data, s, end, token)) return true;
  return false;
}

/** Offset of the earliest frame start token in data[s, end), or -1. */
function findFrameToken(data: Buffer, s: number, end: number): number {
  let best = -1;
  const block = data.subarray(s, end);
  for (const token of FRAME_STARTS) {
    const at = block.indexOf(token);
    if (at !== -1 && (best === -1 || at < best)) best = at;
  }
  return best === -1 ? -1 : s + best;
}
