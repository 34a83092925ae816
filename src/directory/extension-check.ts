/**
 * A fast check equivalent to `extensionSchema` (extension-schema.ts) for the directory
 * hot path: zod was one of the larger costs per lookup. When it says "valid", the
 * parsed JSON is used as it is; when it says "invalid", zod runs to produce the exact
 * error message. test/directory/extension-check.test.ts proves both agree.
 */

const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
const HEX32 = /^[0-9a-fA-F]{32}$/;
const DIGITS6 = /^\d{1,6}$/;
const CACHEABLE = /^(\d{1,10}|true|false)$/;
const ALIAS = /^[A-Za-z0-9_.+*#-]{1,64}$/;
const FLAGS = new Set(['true', 'false', 'yes', 'no', 'on', 'off', '1', '0']);

type Rec = Record<string, unknown>;

function isRecord(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return (typeof value === 'string' && value.length <= 4096) || (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean';
}

function isNamedScalars(record: Rec): boolean {
  for (const key in record) if (!NAME.test(key) || !isScalar(record[key])) return false;
  return true;
}

function isFlag(value: unknown): boolean {
  return typeof value === 'boolean' || (typeof value === 'string' && FLAGS.has(value));
}

function isParams(p: Rec): boolean {
  if (!isNamedScalars(p)) return false;
  const { password } = p;
  if (password !== undefined && !(typeof password === 'number' || (typeof password === 'string' && password.length <= 256))) return false;
  const a1 = p['a1-hash'];
  if (a1 !== undefined && !(typeof a1 === 'string' && HEX32.test(a1))) return false;
  const acl = p['auth-acl'];
  if (acl !== undefined && typeof acl !== 'string') return false;
  if (p['allow-empty-password'] !== undefined && !isFlag(p['allow-empty-password'])) return false;
  if (p['sip-forbid-register'] !== undefined && !isFlag(p['sip-forbid-register'])) return false;
  const ua = p['user-agent-filter'];
  if (ua !== undefined && !(typeof ua === 'string' && ua.length <= 512)) return false;
  const max = p['max-registrations-per-extension'];
  if (max !== undefined && !((typeof max === 'number' && Number.isSafeInteger(max) && max >= 0) || (typeof max === 'string' && DIGITS6.test(max)))) return false;
  return true;
}

function isAttributes(a: Rec): boolean {
  for (const key in a) {
    const value = a[key];
    if (key === 'cacheable') {
      if (value === undefined) continue;
      const ok = typeof value === 'boolean' || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) || (typeof value === 'string' && CACHEABLE.test(value));
      if (!ok) return false;
    } else if (key === 'number-alias') {
      if (value !== undefined && !(typeof value === 'string' && ALIAS.test(value))) return false;
    } else return false;
  }
  return true;
}

/** True when `value` (parsed JSON) is a valid extension; then it can be used as an Extension (extension-schema.ts, not imported: it imports this file). */
export function isExtension(value: unknown): boolean {
  if (!isRecord(value)) return false;
  for (const key in value) {
    const part = value[key];
    if (key === 'param') {
      if (part !== undefined && !(isRecord(part) && isParams(part))) return false;
    } else if (key === 'variable') {
      if (part !== undefined && !(isRecord(part) && isNamedScalars(part))) return false;
    } else if (key === 'attribute') {
      if (part !== undefined && !(isRecord(part) && isAttributes(part))) return false;
    } else return false;
  }
  return true;
}
