/**
 * Loads the configuration: defaults, then the file named by FREECTI_CONFIG (JSON or
 * YAML), then environment variables. Only this module reads the environment.
 * Any problem throws one FreectiError('CONFIG_INVALID') whose message is one line
 * naming the field and why.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { FreectiError } from '../errors.js';
import { configSchema, type Config } from './schema.js';

type Env = Readonly<Record<string, string | undefined>>;
type Json = Record<string, unknown>;

export function loadConfig(env: Env = process.env): Config {
  const file = env['FREECTI_CONFIG'];
  const fromFile = file !== undefined && file !== '' ? readConfigFile(file) : {};
  const merged = applyEnv(fromFile, env);
  return validateConfig(merged);
}

export function validateConfig(input: unknown): Config {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue === undefined || issue.path.length === 0 ? '(root)' : formatPath(issue.path);
  throw new FreectiError('CONFIG_INVALID', `config ${path}: ${issue?.message ?? 'invalid'}`);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FreectiError('CONFIG_INVALID', `config file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? 'unreadable';
    throw new FreectiError('CONFIG_INVALID', `config file ${file}: ${message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new FreectiError('CONFIG_INVALID', `config file ${file}: must hold an object`);
  }
  return parsed as Json;
}

function section(target: Json, name: string): Json {
  const existing = target[name];
  if (existing !== null && typeof existing === 'object' && !Array.isArray(existing)) return existing as Json;
  const created: Json = {};
  target[name] = created;
  return created;
}

function applyEnv(base: Json, env: Env): Json {
  const out: Json = structuredClone(base);
  const value = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const redisUrl = value('REDIS_URL');
  if (redisUrl !== undefined) section(out, 'redis')['url'] = redisUrl;
  const fs = value('FREECTI_FS');
  if (fs !== undefined) section(out, 'freeswitch')['nodes'] = parseFsList(fs);
  const http = value('FREECTI_HTTP');
  if (http !== undefined) out['http'] = parseListen('FREECTI_HTTP', http);
  const outbound = value('FREECTI_ESL_OUTBOUND');
  if (outbound !== undefined) out['eslOutbound'] = parseListen('FREECTI_ESL_OUTBOUND', outbound);
  const cliKey = value('FREECTI_CLI_KEY');
  if (cliKey !== undefined) section(out, 'cli')['key'] = cliKey;
  const level = value('FREECTI_LOG_LEVEL');
  if (level !== undefined) section(out, 'log')['level'] = level;
  return out;
}

/** `host:port`, `[v6]:port` or `:port` (loopback). */
export function parseListen(variable: string, text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  if (match === null) throw new FreectiError('CONFIG_INVALID', `config ${variable}: '${text}' is not host:port`);
  const host = match[1] ?? match[2] ?? '';
  return { host: host === '' ? '127.0.0.1' : host, port: Number(match[3]) };
}

/**
 * FREECTI_FS: comma-separated `[name=]password@host:port`. The password may contain
 * '@' (the last one separates the host); a node without a name is named `host:port`.
 */
export function parseFsList(text: string): { name: string; host: string; port: number; password: string }[] {
  return text.split(',').map((entry, index) => {
    const item = entry.trim();
    const nameMatch = /^([A-Za-z0-9_.:-]{1,64})=(.*)$/.exec(item);
    const name = nameMatch?.[1];
    const rest = nameMatch?.[2] ?? item;
    const at = rest.lastIndexOf('@');
    if (at <= 0) {
      throw new FreectiError('CONFIG_INVALID', `config FREECTI_FS[${index}]: '${item}' is not [name=]password@host:port`);
    }
    const listen = parseListen(`FREECTI_FS[${index}]`, rest.slice(at + 1));
    return { name: name ?? `${listen.host}:${listen.port}`, host: listen.host, port: listen.port, password: rest.slice(0, at) };
  });
}
