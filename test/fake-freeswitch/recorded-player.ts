/**
 * Plays a recorded `esl-inbound/*.txt` session (full layout) to whoever connects: the
 * greeting, then for each client command the `S>C` bytes that followed the recorded
 * command with the same verb, closing the socket where FreeSWITCH closed it. An `event`
 * or `filter` command the recording lacks is answered like FreeSWITCH would
 * (`+OK event listener enabled <format>`), because clients always subscribe. Anything
 * else that does not match the recording is listed in `mismatches` and answered
 * `-ERR replay mismatch`, so a test can fail on it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { readTranscript, type TranscriptChunk } from '../helpers/fixtures.js';
import { CommandReader, type ReceivedCommand } from './command-reader.js';
import { commandReply } from './serialise.js';

export class RecordedPlayer {
  port = 0;
  readonly host = '127.0.0.1';
  readonly received: ReceivedCommand[] = [];
  readonly mismatches: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly chunks: readonly TranscriptChunk[],
    private readonly server: Server,
  ) {}

  static async start(transcript: string): Promise<RecordedPlayer> {
    const chunks = readTranscript(transcript);
    const server = createServer();
    const player = new RecordedPlayer(chunks, server);
    server.on('connection', (socket) => player.play(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    player.port = typeof address === 'object' && address !== null ? address.port : 0;
    return player;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private play(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const reader = new CommandReader();
    let next = this.sendUntilCommand(socket, 0);
    socket.on('data', (chunk: Buffer) => {
      for (const command of reader.push(chunk)) {
        this.received.push(command);
        next = this.answer(socket, command, next);
      }
    });
  }

  /** Sends S>C chunks from `index` up to the next C>S chunk; returns that chunk's index. */
  private sendUntilCommand(socket: Socket, index: number): number {
    let i = index;
    for (; i < this.chunks.length; i++) {
      const chunk = this.chunks[i] as TranscriptChunk;
      if (chunk.dir === 'C>S') break;
      if (chunk.dir === 'S>C') socket.write(chunk.bytes);
      else if (/closed the TCP connection/.test(chunk.bytes.toString('utf8'))) socket.end();
    }
    return i;
  }

  private answer(socket: Socket, command: ReceivedCommand, index: number): number {
    const recorded = this.chunks[index];
    const verb = command.line.split(' ')[0] ?? '';
    const recordedVerb = recorded?.bytes.toString('utf8').split(/[ \n]/)[0];
    if (recorded !== undefined && recordedVerb === verb) return this.sendUntilCommand(socket, index + 1);
    if (verb === 'event' || verb === 'filter') {
      const format = command.line.split(' ')[1] === 'json' ? 'json' : 'plain';
      socket.write(commandReply(verb === 'event' ? `+OK event listener enabled ${format}` : '+OK filter added.'));
      return index;
    }
    this.mismatches.push(`client sent '${command.line}', recording expects '${recordedVerb ?? '(nothing)'}'`);
    socket.write(commandReply('-ERR replay mismatch'));
    return index;
  }
}
