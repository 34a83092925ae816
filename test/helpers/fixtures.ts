/**
 * Reads the recorded FreeSWITCH traffic under test/fixtures/freeswitch (see its README):
 * `.esl` byte streams and their `.txt` transcripts in either layout.
 *
 * Paths are relative to the fixtures folder, e.g. `esl-inbound/auth-success.esl`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/freeswitch/', import.meta.url));

export type Direction = 'C>S' | 'S>C' | 'NOTE';

/** One chunk of a transcript: bytes in one direction (or a recorder note). */
export interface TranscriptChunk {
  readonly dir: Direction;
  /** Seconds since the connection started. */
  readonly time: number;
  readonly bytes: Buffer;
}

/** One `S>C +T @OFFSET+LENGTH <content-type> <summary>` line of a timeline transcript. */
export interface TimelineFrame {
  readonly time: number;
  /** Byte range of the frame in the `.esl` file. */
  readonly offset: number;
  readonly length: number;
  /** Outer Content-Type, e.g. `text/event-plain`, `command/reply`. */
  readonly contentType: string;
  /** The rest of the line, e.g. `CHANNEL_STATE Unique-ID=...` or `Reply-Text="+OK"`. */
  readonly summary: string;
}

export function fixturePath(relPath: string): string {
  return join(FIXTURES_DIR, relPath);
}

/** The bytes of one `.esl` recording (the `.esl` suffix may be left off). */
export function readEsl(relPath: string): Buffer {
  return readFileSync(fixturePath(relPath.endsWith('.esl') ? relPath : `${relPath}.esl`));
}

/** Every `.esl` file under `dir` (default: all of them), relative to the fixtures folder, sorted. */
export function listEsl(dir = ''): string[] {
  const found: string[] = [];
  const walk = (absolute: string): void => {
    for (const entry of readdirSync(absolute, { withFileTypes: true })) {
      const path = join(absolute, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.esl')) found.push(relative(FIXTURES_DIR, path).split(sep).join('/'));
    }
  };
  walk(fixturePath(dir));
  return found.sort();
}

/** The `.txt` transcript next to an `.esl` file (either path may be given). */
export function transcriptPathOf(relPath: string): string {
  return relPath.replace(/\.(esl|txt)$/, '') + '.txt';
}

export function transcriptLayout(relPath: string): 'full' | 'timeline' {
  const text = readFileSync(fixturePath(transcriptPathOf(relPath)), 'latin1');
  return /^# Timeline transcript\./m.test(text) ? 'timeline' : 'full';
}

const CHUNK_HEADER = /^--- (C>S|S>C|NOTE) \+(\d+(?:\.\d+)?)s (\d+) bytes\n/;
const FRAME_LINE = /^S>C \+(\d+(?:\.\d+)?)s @(\d+)\+(\d+) (\S+) ?(.*)\n/;

interface ParsedTranscript {
  layout: 'full' | 'timeline';
  chunks: TranscriptChunk[];
  frames: TimelineFrame[];
}

function parseTranscript(relPath: string): ParsedTranscript {
  const data = readFileSync(fixturePath(transcriptPathOf(relPath)));
  // latin1 keeps one character per byte, so string offsets are byte offsets.
  const text = data.toString('latin1');
  const layout = /^# Timeline transcript\./m.test(text) ? 'timeline' : 'full';
  const esl = layout === 'timeline' ? readEsl(transcriptPathOf(relPath).replace(/\.txt$/, '.esl')) : undefined;
  const chunks: TranscriptChunk[] = [];
  const frames: TimelineFrame[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i, i + 4096);
    if (rest.startsWith('#')) {
      const eol = text.indexOf('\n', i);
      i = eol === -1 ? text.length : eol + 1;
      continue;
    }
    const chunk = CHUNK_HEADER.exec(rest);
    if (chunk !== null) {
      const length = Number(chunk[3]);
      const from = i + chunk[0].length;
      if (text.charCodeAt(from + length) !== 10) {
        throw new Error(`${relPath}: chunk at byte ${i} is not followed by exactly one newline`);
      }
      chunks.push({ dir: chunk[1] as Direction, time: Number(chunk[2]), bytes: data.subarray(from, from + length) });
      i = from + length + 1;
      continue;
    }
    const frame = FRAME_LINE.exec(rest);
    if (frame !== null && esl !== undefined) {
      const entry: TimelineFrame = {
        time: Number(frame[1]),
        offset: Number(frame[2]),
        length: Number(frame[3]),
        contentType: frame[4] ?? '',
        summary: frame[5] ?? '',
      };
      frames.push(entry);
      chunks.push({ dir: 'S>C', time: entry.time, bytes: esl.subarray(entry.offset, entry.offset + entry.length) });
      i += frame[0].length;
      continue;
    }
    throw new Error(`${relPath}: cannot parse transcript at byte ${i}: ${JSON.stringify(rest.slice(0, 60))}`);
  }
  return { layout, chunks, frames };
}

/**
 * The chunks of a transcript, in order. Works for both layouts: in a timeline transcript
 * each `S>C` frame line becomes one `S>C` chunk holding that frame's bytes from the `.esl`.
 * Concatenating the `S>C` chunks gives the `.esl` file.
 */
export function readTranscript(relPath: string): TranscriptChunk[] {
  return parseTranscript(relPath).chunks;
}

/** The `S>C` frame lines of a timeline transcript (throws for a `full` transcript). */
export function readTimelineFrames(relPath: string): TimelineFrame[] {
  const parsed = parseTranscript(relPath);
  if (parsed.layout !== 'timeline') throw new Error(`${relPath}: not a timeline transcript`);
  return parsed.frames;
}

/** Concatenation of the chunks sent in one direction (`S>C` gives the `.esl` bytes). */
export function bytesSent(chunks: readonly TranscriptChunk[], dir: Direction = 'S>C'): Buffer {
  return Buffer.concat(chunks.filter((c) => c.dir === dir).map((c) => c.bytes));
}
