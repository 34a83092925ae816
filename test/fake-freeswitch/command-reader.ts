/**
 * Splits what an ESL client sends into commands: a command line, optional `Name: value`
 * header lines, a blank line, and a body of `Content-Length` bytes when that header is
 * present (sendmsg with a long argument). Pure: no socket.
 */
export interface ReceivedCommand {
  /** First line, e.g. `api status`, `sendmsg <uuid>`. */
  readonly line: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

const END = Buffer.from('\n\n');

export class CommandReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** Appends bytes and returns every command they complete, in order. */
  push(chunk: Buffer): ReceivedCommand[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: ReceivedCommand[] = [];
    for (;;) {
      const command = this.next();
      if (command === undefined) return out;
      out.push(command);
    }
  }

  private next(): ReceivedCommand | undefined {
    // FreeSWITCH skips blank lines between commands.
    let start = 0;
    while (start < this.buffer.length && (this.buffer[start] === 10 || this.buffer[start] === 13)) start++;
    const end = this.buffer.indexOf(END, start);
    if (end === -1) {
      this.buffer = this.buffer.subarray(start);
      return undefined;
    }
    const lines = this.buffer.toString('utf8', start, end).split('\n').map((l) => l.replace(/\r$/, ''));
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
    }
    const length = Number(headers['Content-Length'] ?? headers['content-length'] ?? 0);
    const bodyStart = end + 2;
    if (length > 0 && this.buffer.length < bodyStart + length) return undefined;
    const body = length > 0 ? this.buffer.toString('utf8', bodyStart, bodyStart + length) : undefined;
    this.buffer = this.buffer.subarray(bodyStart + Math.max(0, length));
    return { line: lines[0] ?? '', headers, body };
  }
}
