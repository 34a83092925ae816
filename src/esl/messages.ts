import type { EslEvent } from './event.js';

/** Top-level headers of one ESL frame, exactly as sent (not url-decoded, except the outbound connect reply). */
export type FrameHeaders = Record<string, string>;

/** Everything FreeSWITCH sends on an event socket, as decoded messages. */
export type EslMessage =
  | { readonly kind: 'auth-request'; readonly headers: FrameHeaders }
  | {
      readonly kind: 'command-reply';
      readonly headers: FrameHeaders;
      /** `Reply-Text`, e.g. `+OK accepted`, `-ERR invalid`, `+OK Job-UUID: <uuid>`. */
      readonly replyText: string;
      /** Present on the outbound-socket `connect` reply: the channel's data (Event-Name CHANNEL_DATA). */
      readonly channelData?: EslEvent;
    }
  | { readonly kind: 'api-response'; readonly headers: FrameHeaders; readonly body: string }
  | { readonly kind: 'event'; readonly format: 'plain' | 'json'; readonly event: EslEvent }
  | { readonly kind: 'log'; readonly headers: FrameHeaders; readonly body: string }
  | { readonly kind: 'disconnect-notice'; readonly headers: FrameHeaders; readonly body: string }
  | { readonly kind: 'rude-rejection'; readonly headers: FrameHeaders; readonly body: string }
  | {
      readonly kind: 'unknown';
      readonly contentType: string;
      readonly headers: FrameHeaders;
      readonly body: string | undefined;
    }
  /** Bytes that could not be framed and were skipped to resynchronise on the next frame. */
  | { readonly kind: 'garbage'; readonly reason: string; readonly bytes: number };

export type EslMessageKind = EslMessage['kind'];

/** `+OK ...` replies are successes; `-ERR ...` / `-USAGE ...` are failures. */
export function isOkReply(text: string): boolean {
  return text.startsWith('+OK');
}
