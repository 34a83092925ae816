/**
 * Values the typed call-control API puts into FreeSWITCH commands. Each is checked so
 * that it cannot change the command it goes into (no spaces, quotes, variables `${..}`,
 * dial-string syntax or application strings `app::args`). Numbers go through
 * src/dial-string/ (assertPlainNumber).
 */
import { assertPlainNumber } from '../dial-string/index.js';
import { FreectiError } from '../errors.js';

const UUID = /^[0-9A-Za-z][0-9A-Za-z-]{7,63}$/;
const NAME = /^[A-Za-z0-9_.@-]{1,64}$/;
const MEMBER = /^(?:\d{1,9}|all|last|non_moderator)$/;
const CAUSE = /^[A-Z_]{3,40}$/;
// eslint-disable-next-line no-control-regex
const FILE_FORBIDDEN = /[\s'"\\{}$`;|]|::|[\x00-\x1f\x7f]/;

export function bad(field: string, message: string): FreectiError {
  return new FreectiError('BAD_REQUEST', `${field}: ${message}`, { details: { field } });
}

/** A channel uuid as FreeSWITCH prints it (or an origination_uuid of letters, digits and dashes). */
export function assertUuid(value: unknown, field = 'uuid'): asserts value is string {
  if (typeof value !== 'string' || !UUID.test(value)) throw bad(field, 'not a channel uuid');
}

export function assertNumber(value: unknown, field: string): asserts value is string {
  assertPlainNumber(value, field);
}

/** Conference, gateway, line group, context names. */
export function assertName(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || !NAME.test(value)) throw bad(field, 'letters, digits, _ . @ - only (1-64 characters)');
}

export function assertMember(value: unknown, field = 'member'): asserts value is string {
  if (typeof value !== 'string' || !MEMBER.test(value)) throw bad(field, 'a member id, all, last or non_moderator');
}

export function assertCause(value: unknown, field = 'cause'): asserts value is string {
  if (typeof value !== 'string' || !CAUSE.test(value)) throw bad(field, 'a FreeSWITCH cause name such as NORMAL_CLEARING');
}

/**
 * A sound to play: a path or URL (`/sounds/x.wav`, `http://...`, `tone_stream://%(500,0,440)`,
 * `file_string://a.wav!b.wav`). Refused: white space, quotes, `${...}` (would run api
 * functions when expanded), `app::args` (uuid_broadcast would run the app).
 */
export function assertFile(value: unknown, field = 'file'): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024 || FILE_FORBIDDEN.test(value)) {
    throw bad(field, 'a file path or URL without spaces, quotes, ${...} or app::args');
  }
}
