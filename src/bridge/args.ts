/**
 * The arguments of `cti_bridge <url> <connect_timeout> <response_timeout> <notify_type>`
 * (seed 002): URL, connect timeout ms (3000), response timeout ms (3000), notify_type
 * 0 = no progress notifications, 1 = notify (default 1). Only the URL is required.
 * They reach freecti in the channel variable `cti_bridge` (docs/bridge.md).
 */
import { FreectiError } from '../errors.js';

export interface BridgeArgs {
  url: string;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  notify: boolean;
}

const DEFAULT_TIMEOUT_MS = 3000;

export function parseBridgeArgs(text: string | undefined): BridgeArgs {
  const fail = (why: string): never => {
    throw new FreectiError('BRIDGE_BAD_ARGS', `cti_bridge '${(text ?? '').slice(0, 200)}': ${why}`);
  };
  const parts = (text ?? '').trim().split(/\s+/).filter((p) => p !== '');
  if (parts.length === 0) fail('no URL');
  if (parts.length > 4) fail('expected <url> [connect_timeout] [response_timeout] [notify_type]');
  const [url = '', connect, response, notify] = parts;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    fail(`'${url.slice(0, 120)}' is not an absolute URL`);
  }
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') fail('the URL must be http: or https:');
  const timeout = (value: string | undefined, name: string): number => {
    if (value === undefined) return DEFAULT_TIMEOUT_MS;
    const n = Number(value);
    if (!/^\d{1,6}$/.test(value) || n < 1 || n > 60_000) fail(`${name} '${value}' must be 1..60000 ms`);
    return n;
  };
  if (notify !== undefined && notify !== '0' && notify !== '1') fail(`notify_type '${notify}' must be 0 or 1`);
  return {
    url,
    connectTimeoutMs: timeout(connect, 'connect_timeout'),
    responseTimeoutMs: timeout(response, 'response_timeout'),
    notify: notify !== '0',
  };
}
