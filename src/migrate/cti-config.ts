/**
 * `freecti import-config <cti.json> [cti.conf.xml]` (docs/migration.md): mod_cti's
 * configuration -> a freecti config file (YAML, read by src/config/load.ts). Carried over:
 * cti.json `gui.registration` and `gui.call` (seed 001) and the `<http_cli>` block of
 * cti.conf.xml (seed 003). Every other setting is named in the notes with the reason it
 * was not carried over. The result is validated by the real config schema before it is
 * returned, so it loads.
 */
import { stringify } from 'yaml';
import { validateConfig } from '../config/load.js';
import { FreectiError } from '../errors.js';
import { parseCommentedJson } from './json-comments.js';
import { scanTags } from './xml-tags.js';

export interface ImportNote {
  /** `cti.json gui.call.hash`, `cti.conf.xml http_cli/http_server_port`. */
  setting: string;
  carried: boolean;
  message: string;
}

export interface ImportedConfig {
  config: Record<string, unknown>;
  notes: ImportNote[];
  /** The YAML file: a comment block with the notes, then the settings. */
  yaml: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

export function importCtiConfig(ctiJson: string, ctiConfXml?: string): ImportedConfig {
  const notes: ImportNote[] = [];
  const config: Json = {};
  let parsed: unknown;
  try {
    parsed = parseCommentedJson(ctiJson);
  } catch (error) {
    throw new FreectiError('CONFIG_INVALID', `cti.json: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new FreectiError('CONFIG_INVALID', 'cti.json: must hold an object');
  importGui(parsed, config, notes);
  if (ctiConfXml !== undefined) importHttpCli(ctiConfXml, config, notes);
  validateConfig(config);
  const header = [
    '# freecti configuration imported from mod_cti by `freecti import-config` (docs/migration.md).',
    ...notes.map((n) => `# ${n.carried ? 'carried over' : 'NOT carried over'}: ${n.setting}: ${n.message}`),
  ];
  return { config, notes, yaml: `${header.join('\n')}\n${Object.keys(config).length === 0 ? '{}\n' : stringify(config)}` };
}

/** Every leaf path of a JSON value (`gui.call.fields` for an array). */
function leaves(value: unknown, path: string): string[] {
  if (!isObject(value)) return [path];
  const keys = Object.keys(value);
  if (keys.length === 0) return [path];
  return keys.flatMap((k) => leaves(value[k], path === '' ? k : `${path}.${k}`));
}

const GUI_PARTS = {
  registration: ['hash', 'channel', 'list'],
  call: ['fields', 'hash', 'channel', 'list'],
} as const;

function importGui(cti: Json, config: Json, notes: ImportNote[]): void {
  for (const [key, value] of Object.entries(cti)) {
    if (key !== 'gui' || !isObject(value)) {
      for (const path of leaves(value, key)) notes.push({ setting: `cti.json ${path}`, carried: false, message: 'freecti has no such setting (only gui.registration and gui.call are read)' });
      continue;
    }
    const gui: Json = {};
    for (const [part, partValue] of Object.entries(value)) {
      const known = GUI_PARTS[part as keyof typeof GUI_PARTS] as readonly string[] | undefined;
      if (known === undefined || !isObject(partValue)) {
        for (const path of leaves(partValue, `gui.${part}`)) notes.push({ setting: `cti.json ${path}`, carried: false, message: 'freecti has no such setting (gui has registration and call)' });
        continue;
      }
      const out: Json = {};
      for (const [name, setting] of Object.entries(partValue)) {
        const where = `cti.json gui.${part}.${name}`;
        const carried = carryGuiSetting(name, setting, known);
        if (typeof carried === 'string') {
          notes.push({ setting: where, carried: false, message: carried });
          continue;
        }
        out[name] = carried.value;
        notes.push({ setting: where, carried: true, message: `-> gui.${part}.${name}${carried.note === undefined ? '' : ` (${carried.note})`}` });
      }
      gui[part] = out;
    }
    if (Object.keys(gui).length > 0) config['gui'] = gui;
  }
}

/** The value to carry, or why not. */
function carryGuiSetting(name: string, value: unknown, known: readonly string[]): { value: unknown; note?: string } | string {
  if (!known.includes(name)) return `freecti has no such setting (known: ${known.join(', ')})`;
  if (name === 'fields') {
    if (!Array.isArray(value) || !value.every((f) => typeof f === 'string' && f !== '' && f.length <= 128)) return 'must be a list of channel header names';
    const unique = [...new Set(value as string[])];
    if (unique.length > 64) return 'more than 64 fields (freecti records at most 64)';
    return unique.length === value.length ? { value: unique } : { value: unique, note: `${value.length - unique.length} repeated name(s) dropped` };
  }
  if (typeof value !== 'string') return 'must be a string';
  if ((name === 'hash') && value === '') return 'an empty hash name: freecti always writes the hash (default kept)';
  return { value };
}

function importHttpCli(xml: string, config: Json, notes: ImportNote[]): void {
  const tags = scanTags(xml);
  const open = tags.find((t) => t.name === 'http_cli');
  const close = open === undefined ? -1 : xml.indexOf('</http_cli>', open.end);
  const inside = (offset: number): boolean => open !== undefined && !open.selfClosing && offset > open.start && (close === -1 || offset < close);
  if (open === undefined) notes.push({ setting: 'cti.conf.xml http_cli', carried: false, message: 'no <http_cli> block found' });
  for (const tag of tags) {
    if (tag.name !== 'param') continue;
    const name = tag.attributes.get('name') ?? '';
    const value = tag.attributes.get('value') ?? '';
    if (!inside(tag.start)) {
      notes.push({ setting: `cti.conf.xml ${name}`, carried: false, message: 'outside <http_cli>: freecti reads only the <http_cli> block of cti.conf.xml' });
      continue;
    }
    const where = `cti.conf.xml http_cli/${name}`;
    const carry = (path: string, set: () => void, note = ''): void => {
      set();
      notes.push({ setting: where, carried: true, message: `-> ${path}${note}` });
    };
    const http = (): Json => (config['http'] ??= {}) as Json;
    switch (name) {
      case 'http_server_ip':
        carry('http.host', () => (http()['host'] = value), value === '0.0.0.0' ? ' (every address: freecti also serves its admin API and /freeswitch/xml there, each with its own protection; docs/security.md)' : '');
        break;
      case 'http_server_port':
        if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) notes.push({ setting: where, carried: false, message: `'${value}' is not a port` });
        else carry('http.port', () => (http()['port'] = Number(value)), ' (/cli is served on it, as mod_cti did)');
        break;
      case 'http_api_cli_key':
        if (value.length < 8) notes.push({ setting: where, carried: false, message: `freecti requires a key of at least 8 characters; set cli.key (or cli.keys) and change key= in your applications` });
        else carry('cli.key', () => ((config['cli'] ??= {}) as Json)['key'] = value);
        break;
      case 'http_server_domain':
        notes.push({ setting: where, carried: false, message: 'not needed: freecti builds no URL from a public domain name (applications call it by whatever name reaches http.host:http.port)' });
        break;
      default:
        notes.push({ setting: where, carried: false, message: 'freecti has no such setting' });
    }
  }
}
