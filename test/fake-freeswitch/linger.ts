/**
 * How a channel on an outbound socket ends, the way FreeSWITCH does it (issue 9), for the
 * fakes that play FreeSWITCH's side of `socket ... async full`:
 *
 * - with `linger` FreeSWITCH sends the `text/disconnect-notice` as soon as the channel is
 *   down; the channel's remaining events (a running bridge's CHANNEL_EXECUTE_COMPLETE, the
 *   legs' and the channel's CHANNEL_HANGUP_COMPLETE) can come BEFORE it or AFTER it. The
 *   switch `LingerOrder` picks one: `events-first` (what the first recordings showed) or
 *   `notice-first` (CHANNEL_HANGUP, the notice, then everything else);
 * - `bridge` hangs the caller up when it fails unless `continue_on_fail` says to go on:
 *   `true`, or a comma-separated list of cause names / Q.850 numbers containing the cause
 *   (mod_dptools). `continuesOnFail` answers that.
 *
 * Default order: env `FAKE_FS_LINGER_ORDER` (`events-first` | `notice-first`), else events-first.
 */
import { CAUSES, isCauseName } from '../../src/linegroups/hangup-causes.js';

export type LingerOrder = 'events-first' | 'notice-first';
export const LINGER_ORDERS: readonly LingerOrder[] = ['events-first', 'notice-first'];

export function defaultLingerOrder(): LingerOrder {
  return process.env['FAKE_FS_LINGER_ORDER'] === 'notice-first' ? 'notice-first' : 'events-first';
}

/** FreeSWITCH's linger disconnect-notice (recorded layout, README observation 10). */
export function lingerNotice(uuid: string, channelName = 'sofia/internal/1000@127.0.0.1'): string {
  return `Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${uuid}\nContent-Disposition: linger\nChannel-Name: ${channelName}\nLinger-Time: -1\nContent-Length: 0\n\n`;
}

/**
 * The frames of a channel's end in the chosen order: `hangup` (its CHANNEL_HANGUP) always
 * first, then the `rest` (completions, CHANNEL_HANGUP_COMPLETEs) and the notice, the
 * notice last (`events-first`) or right after the hangup (`notice-first`).
 */
export function lingerSequence<T>(order: LingerOrder, parts: { hangup: readonly T[]; rest: readonly T[]; notice: T }): T[] {
  return order === 'notice-first' ? [...parts.hangup, parts.notice, ...parts.rest] : [...parts.hangup, ...parts.rest, parts.notice];
}

/** True when a failed bridge with `cause` leaves the caller up (mod_dptools' continue_on_fail). */
export function continuesOnFail(value: string | undefined, cause: string): boolean {
  if (value === undefined || value === '') return false;
  if (/^(true|yes|on|1|enabled|active|allow)$/i.test(value.trim())) return true;
  const code = isCauseName(cause) ? String(CAUSES[cause]) : undefined;
  return value.split(',').some((item) => {
    const wanted = item.trim();
    return wanted === cause || (code !== undefined && wanted === code);
  });
}
