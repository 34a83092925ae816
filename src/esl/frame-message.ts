/**
 * One complete ESL frame (top-level headers + optional body) to the message it carries.
 */
import { EslEvent } from './event.js';
import type { EslMessage, FrameHeaders } from './messages.js';
import { decodeFrameHeaders, parsePlainEventBody } from './parse-headers.js';
import { parseJsonEventBody } from './parse-json-event.js';

export function frameToMessage(headers: FrameHeaders, body: string | undefined): EslMessage {
  const contentType = headers['Content-Type'] ?? '';
  switch (contentType) {
    case 'text/event-plain': {
      const parsed = parsePlainEventBody(body ?? '');
      return { kind: 'event', format: 'plain', event: new EslEvent(parsed.headers, parsed.body) };
    }
    case 'text/event-json': {
      let parsed: ReturnType<typeof parseJsonEventBody>;
      try {
        parsed = parseJsonEventBody(body ?? '');
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { kind: 'garbage', reason: `invalid event JSON: ${reason}`, bytes: Buffer.byteLength(body ?? '') };
      }
      return { kind: 'event', format: 'json', event: new EslEvent(parsed.headers, parsed.body) };
    }
    case 'command/reply':
      return commandReply(headers);
    case 'api/response':
      return { kind: 'api-response', headers, body: body ?? '' };
    case 'auth/request':
      return { kind: 'auth-request', headers };
    case 'log/data':
      return { kind: 'log', headers, body: body ?? '' };
    case 'text/disconnect-notice':
      return { kind: 'disconnect-notice', headers, body: body ?? '' };
    case 'text/rude-rejection':
      return { kind: 'rude-rejection', headers, body: body ?? '' };
    default:
      return { kind: 'unknown', contentType, headers, body };
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
