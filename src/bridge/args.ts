/**
 * The arguments of `cti_bridge <url> <connect_timeout> <response_timeout> <notify_type>`
 * (seed 002): URL, connect timeout ms (3000), response timeout ms (3000), notify_type
 * 0 = no progress notifications, 1 = notify (default 1). Only the URL is required.
 * freecti options may follow as `name=value` words (docs/bridge.md):
 * - `method=GET|POST` (default POST): GET sends the fields in the query string;
 * - `continue_on_fail=true|false` (default false): a failed bridge (or no line, or an
 *   application that cannot be asked) gives the call back to the dialplan instead of
 *   hanging it up, like `bridge` with FreeSWITCH's continue_on_fail.
 * They reach freecti in the channel variable `cti_bridge` (docs/bridge.md).
 */
import { FreectiError } from '../errors.js';

export interface BridgeArgs {
  url: string;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  notify: boolean;
  method: 'GET' | 'POST';
  /** Undefined: not given (the channel's own `continue_on_fail` then decides). */
  continueOnFail?: boolean;
}

const DEFAULT_TIMEOUT_MS = 3000;
const OPTION = /^([a-z_]+)=(.*)$/;

export function parseBridgeArgs(text: string | undefined): BridgeArgs {
  const fail = (why: string): never => {
    throw new FreectiError('BRIDGE_BAD_ARGS', `cti_bridge '${(text ?? '').slice(0, 200)}': ${why}`);
  };
  const words = (text ?? '').trim().split(/\s+/).filter((p) => p !== '');
  if (words.length === 0) fail('no URL');
  const [url = '', ...rest] = words;
  const firstOption = rest.findIndex((w) => OPTION.test(w));
  const parts = firstOption === -1 ? rest : rest.slice(0, firstOption);
  const options = firstOption === -1 ? [] : rest.slice(firstOption);
  if (parts.length > 3) fail('expected <url> [connect_timeout] [response_timeout] [notify_type] [method=GET|POST] [continue_on_fail=true|false]');
  const [connect, response, notify] = parts;
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
  const args: BridgeArgs = {
    url,
    connectTimeoutMs: timeout(connect, 'connect_timeout'),
    responseTimeoutMs: timeout(response, 'response_timeout'),
    notify: notify !== '0',
    method: 'POST',
  };
  for (const option of options) {
    const [, name = '', value = ''] = OPTION.exec(option) ?? [];
    if (name === 'method' && /^(get|post)$/i.test(value)) args.method = value.toUpperCase() as 'GET' | 'POST';
    else if (name === 'continue_on_fail' && /^(true|false)$/.test(value)) args.continueOnFail = value === 'true';
    else fail(`option '${option.slice(0, 60)}' is not method=GET|POST or continue_on_fail=true|false`);
  }
  return args;
}
