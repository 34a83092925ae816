/**
 * The first exchange on an outbound socket: FreeSWITCH says nothing until we send
 * `connect`, then answers with one header block that is both the command/reply
 * (`Reply-Text: %2BOK%0A`, i.e. "+OK\n") and the channel's data (README observation 9).
 */
import { FreectiError } from '../errors.js';
import type { EslConnection } from './connection.js';
import type { EslEvent } from './event.js';
import { isOkReply, type EslMessage } from './messages.js';
import { readOutboundChannel, type OutboundChannel } from './outbound-channel.js';

export interface ConnectedChannel {
  readonly channel: OutboundChannel;
  /** The connect reply as an event (Event-Name CHANNEL_DATA, decoded headers). */
  readonly channelData: EslEvent;
}

/**
 * Sends `connect` and returns the channel. Rejects with ESL_TIMEOUT when FreeSWITCH does
 * not answer within `timeoutMs`, ESL_DISCONNECTED when the socket closes first, and
 * ESL_COMMAND_FAILED when the answer is not an `+OK` carrying a channel.
 */
export async function connectOutbound(connection: EslConnection, timeoutMs: number): Promise<ConnectedChannel> {
  // EslConnection.command() returns the reply's text and headers; the decoded channel data
  // (with multi-valued variables kept as arrays) comes with the 'message' for that reply.
  let channelData: EslEvent | undefined;
  let seenReply = false;
  const capture = (message: EslMessage): void => {
    if (message.kind !== 'command-reply' || seenReply) return;
    seenReply = true;
    channelData = message.channelData;
  };
  connection.on('message', capture);
  let replyText: string;
  try {
    ({ replyText } = await connection.command('connect', {}, { timeoutMs }));
  } finally {
    connection.off('message', capture);
  }
  if (!isOkReply(replyText)) {
    throw new FreectiError('ESL_COMMAND_FAILED', `connect refused: ${replyText.slice(0, 120)}`, { details: { reply: replyText } });
  }
  if (channelData === undefined) {
    throw new FreectiError('ESL_COMMAND_FAILED', 'connect reply carries no channel data (not a FreeSWITCH outbound socket?)');
  }
  const channel = readOutboundChannel(channelData);
  if (channel === undefined) {
    throw new FreectiError('ESL_COMMAND_FAILED', 'connect reply names no channel (no Unique-ID)');
  }
  return { channel, channelData };
}
