/** Validation of values that go into FreeSWITCH dial strings (shared by routing, bridge, CLI). */
export { assertPlainNumber, describe, isDigits, isPlainNumber } from './plain-number.js';
