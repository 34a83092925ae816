/**
 * FreeSWITCH's in-band replies to call-control commands, turned into outcomes with
 * stable error codes. The texts are the recorded ones (fixtures esl-control/,
 * observations 9, 10, 15, 20, 21).
 */
import { FreectiError } from '../errors.js';
import { parseShowJsonRows } from '../esl/show-json.js';

/** Replies that mean "this channel does not exist" (observation 21). */
const NO_CALL = [/^-ERR No such channel!/, /^-ERR invalid uuid/i, /^-ERR Cannot locate session!/, /^-ERR Invalid uuid/];
/** Conference or member unknown (observation 15). */
const NO_CONFERENCE = [/^-ERR Conference \S+ not found/, /^-ERR Non-Existant ID/, /^-ERR No such conference/];

/** The reply without its trailing newline(s), for JSON bodies. */
export function replyLine(text: string): string {
  return text.replace(/\n+$/, '');
}

/** Throws CALL_NOT_FOUND / CALL_CONTROL_FAILED unless `text` starts with `+OK`. */
export function expectOk(text: string, what: string, uuid?: string): string {
  if (text.startsWith('+OK')) return replyLine(text);
  const reply = replyLine(text);
  if (NO_CALL.some((re) => re.test(text))) throw new FreectiError('CALL_NOT_FOUND', `${what}: no call ${uuid ?? ''}`.trim(), { details: { reply } });
  if (NO_CONFERENCE.some((re) => re.test(text))) throw new FreectiError('CONFERENCE_NOT_FOUND', `${what}: ${reply.replace(/^-ERR\s*/, '')}`, { details: { reply } });
  throw new FreectiError('CALL_CONTROL_FAILED', `${what}: ${reply.slice(0, 200)}`, { details: { reply } });
}

/** `show ... as json` rows (src/esl/show-json.ts); an error reply is CALL_CONTROL_FAILED with FreeSWITCH's words. */
export function parseShowJson(text: string, what: string): Record<string, unknown>[] {
  try {
    return parseShowJsonRows(text, what) as Record<string, unknown>[];
  } catch {
    throw new FreectiError('CALL_CONTROL_FAILED', `${what}: FreeSWITCH answered ${JSON.stringify(replyLine(text).slice(0, 120))}`);
  }
}

/** `conference [<name>] json_list`: `[]` or an array of conferences (no newline). */
export function parseConferenceList(text: string, what: string): Record<string, unknown>[] {
  if (text.startsWith('-ERR')) expectOk(text, what);
  if (text.startsWith('+OK No active conferences')) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    if (Array.isArray(parsed)) return parsed as Record<string, unknown>[];
  } catch {
    // fall through
  }
  throw new FreectiError('CALL_CONTROL_FAILED', `${what}: FreeSWITCH answered ${JSON.stringify(replyLine(text).slice(0, 120))}`);
}
