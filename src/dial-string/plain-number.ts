/**
 * Plain numbers: what may be put into a dial string where a number or extension is
 * expected (`user/<n>`, `sofia/gateway/<gw>/<n>`, `linegroup/<group>/<n>`), without
 * being able to change the dial string itself.
 *
 * Allowed: an optional leading `+`, then 1 to 64 of `0-9 A-Z a-z * # . _ -`, the first
 * one not `.`, `_` or `-`. Everything else is refused, in particular the dial-string
 * syntax `{ } [ ] < > , | ; / ^ : = @ ! & %`, `${...}` / `$${...}` variables, API calls
 * `(...)`, whitespace and line breaks, quotes and backslashes.
 */
import { FreectiError, type ErrorKey } from '../errors.js';

const PLAIN_NUMBER = /^\+?[0-9A-Za-z*#][0-9A-Za-z*#._-]{0,63}$/;
/** Digits only (with an optional leading `+`): for caller ids and PSTN numbers. */
const DIGITS = /^\+?[0-9]{1,32}$/;

export function isPlainNumber(value: unknown): value is string {
  return typeof value === 'string' && PLAIN_NUMBER.test(value);
}

export function isDigits(value: unknown): value is string {
  return typeof value === 'string' && DIGITS.test(value);
}

/**
 * Throws FreectiError(`errorKey`, default BAD_REQUEST; use WEBHOOK_BAD_REPLY for values
 * from a webhook reply) unless `value` is a plain number. `field` names the value in
 * the message, e.g. `dial.number`.
 */
export function assertPlainNumber(value: unknown, field: string, errorKey: ErrorKey = 'BAD_REQUEST'): asserts value is string {
  if (!isPlainNumber(value)) {
    throw new FreectiError(errorKey, `${field}: ${describe(value)} is not a plain number (+, digits, letters, * # . _ -; at most 65 characters)`, {
      details: { field },
    });
  }
}

/** A short, log-safe rendering of a refused value. */
export function describe(value: unknown): string {
  if (typeof value !== 'string') return `a ${value === null ? 'null' : typeof value}`;
  const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
  return JSON.stringify(shown);
}
