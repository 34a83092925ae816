/**
 * Dial strings (`bridge`, `originate`, `att_xfer`, `conference bridge:`), parsed the way
 * switch_ivr_originate reads them. Pure; throws FsSyntaxError.
 *
 *   <ent vars>{vars}[leg vars]endpoint/body,[leg vars]endpoint/body|endpoint/body:_:{vars}endpoint/body
 *
 * - `<...>` blocks first (every thread), then `:_:` separates threads (enterprise
 *   originate; FreeSWITCH cuts there before anything else, even inside blocks), each
 *   thread may open with `{...}` blocks (every leg of it);
 * - `|` separates groups tried one after another (quotes protect it, brackets do not),
 *   `,` legs rung at once (quotes and `[...]` protect it);
 * - each leg may open with `[...]` blocks (that leg only);
 * - the endpoint body is literal: a known endpoint with its own grammar, or `other`.
 */
import { blockEnd, FsSyntaxError, splitQuoted, type Part } from './scan.js';
import { parseVarBlock, type ChannelVar } from './var-block.js';

export type Endpoint =
  | { kind: 'user'; user: string; domain: string | undefined }
  | { kind: 'gateway'; gateway: string; number: string }
  /** `sofia/<profile>/<user>@<host>` (external) or `sofia/<profile>/<user>%<domain>` (a registered user). */
  | { kind: 'sofia'; profile: string; user: string; host: string; external: boolean }
  | { kind: 'linegroup'; group: string; number: string }
  /** `nout/<extension>/<number>`: noriginate's "dial <number> out as <extension>" (its DID-out entry, src/originate/translate.ts). */
  | { kind: 'nout'; extension: string; number: string }
  | { kind: 'loopback'; extension: string; context: string | undefined; dialplan: string | undefined }
  | { kind: 'group'; group: string; domain: string | undefined }
  | { kind: 'error'; cause: string }
  | { kind: 'verto'; user: string; domain: string }
  | { kind: 'freetdm'; body: string }
  | { kind: 'other'; type: string; body: string };

export interface DialLeg {
  /** The `[...]` variables of this leg. */
  vars: ChannelVar[];
  /** The raw inside of each `[...]` block. */
  legBlocks: string[];
  endpoint: Endpoint;
  /** The endpoint text (`user/1000`). */
  body: string;
  /** The whole leg as written (`[a=1]user/1000`) and where it starts in the dial string. */
  text: string;
  start: number;
}

export interface DialString {
  /** `<...>` and `{...}` variables, in order. */
  vars: ChannelVar[];
  /** The raw leading `<...>{...}` text of the first thread ('' when none). */
  head: string;
  legs: DialLeg[];
}

export const NUMBER = /^[A-Za-z0-9_.+*#-]{1,64}$/;
export const DIGITS = /^\+?[0-9*#]{1,32}$/;
export const NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/**
 * A line-group (or line) name: letters and digits of any script (seed users name groups
 * in Chinese: `linegroup/默认/5555`), combining marks, `_ . -`; 1-64 code points. Nothing
 * FreeSWITCH reads as syntax (`/ , | { } [ ] : ;`, quotes, spaces, `$`) can be in it.
 * Compared as written (no Unicode normalization).
 */
export const LINEGROUP_NAME = /^[\p{L}\p{M}\p{N}_.-]{1,64}$/u;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
const SIP_PARAMS = /^(?:;[A-Za-z0-9_.=-]{1,64}){0,8}$/;
const CAUSE = /^(?:[A-Z_]{3,40}|\d{1,3})$/;

export function parseDialString(text: string): DialString {
  if (text.trim() === '') throw new FsSyntaxError('empty dial string');
  const vars: ChannelVar[] = [];
  const legs: DialLeg[] = [];
  let at = skipSpaces(text, 0);
  at = takeBlocks(text, at, '<', vars);
  let head = '';
  const threads = text.slice(at).split(':_:');
  for (const [index, thread] of threads.entries()) {
    const threadStart = at;
    at += thread.length + 3;
    const bodyStart = takeBlocks(text.slice(0, threadStart + thread.length), skipSpaces(text, threadStart), '{', vars);
    if (index === 0) head = text.slice(skipSpaces(text, 0), bodyStart);
    const body = text.slice(bodyStart, threadStart + thread.length);
    for (const group of splitQuoted(body, '|')) {
      for (const leg of splitLegs(group.text)) {
        const start = skipSpaces(text, bodyStart + group.start + leg.start);
        const end = bodyStart + group.start + leg.start + leg.text.trimEnd().length;
        legs.push(parseLeg(text.slice(start, end), start));
      }
    }
  }
  return { vars, head, legs };
}

function skipSpaces(text: string, from: number): number {
  let i = from;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i;
}

/** Reads the `open` blocks at `from` (collecting their variables); returns where they end. */
function takeBlocks(text: string, from: number, open: '<' | '{' | '[', into: ChannelVar[], raw?: string[]): number {
  let at = from;
  while (text[at] === open) {
    const end = blockEnd(text, at);
    if (end < 0) throw new FsSyntaxError(`unbalanced '${open}' in '${text.slice(at, at + 60)}'`);
    const inside = text.slice(at + 1, end);
    if (inside.includes(':_:')) throw new FsSyntaxError("':_:' inside a variable block");
    into.push(...parseVarBlock(inside));
    raw?.push(inside);
    at = skipSpaces(text, end + 1);
  }
  return at;
}

/** Splits a group at `,` outside quotes and outside `[...]` blocks. */
function splitLegs(text: string): Part[] {
  const parts: Part[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') i++;
    else if (ch === "'") quoted = !quoted;
    else if (ch === '[' && !quoted) {
      const end = blockEnd(text, i);
      if (end < 0) throw new FsSyntaxError(`unbalanced '[' in '${text.slice(i, i + 60)}'`);
      i = end;
    } else if (ch === ',' && !quoted) {
      parts.push({ text: text.slice(start, i), start });
      start = i + 1;
    }
  }
  parts.push({ text: text.slice(start), start });
  return parts;
}

function parseLeg(text: string, start: number): DialLeg {
  const vars: ChannelVar[] = [];
  const legBlocks: string[] = [];
  const bodyStart = takeBlocks(text, 0, '[', vars, legBlocks);
  const body = text.slice(bodyStart);
  if (body === '') throw new FsSyntaxError('a leg has no endpoint');
  return { vars, legBlocks, endpoint: parseEndpoint(body), body, text, start };
}

export function parseEndpoint(body: string): Endpoint {
  const slash = body.indexOf('/');
  if (slash <= 0) throw new FsSyntaxError(`'${body.slice(0, 60)}' is not endpoint/target`);
  const type = body.slice(0, slash).toLowerCase();
  const rest = body.slice(slash + 1);
  const fail = (why: string): never => {
    throw new FsSyntaxError(`'${body.slice(0, 80)}': ${why}`);
  };
  switch (type) {
    case 'user': {
      const [user = '', domain, extra] = rest.split('@');
      if (!NUMBER.test(user) || extra !== undefined || (domain !== undefined && !HOST.test(domain))) fail('expected user/<extension>[@<domain>]');
      return { kind: 'user', user, domain };
    }
    case 'sofia': {
      const parts = rest.split('/');
      if (parts[0] === 'gateway') {
        const [, gateway = '', number = '', extra] = parts;
        if (!NAME.test(gateway) || !NUMBER.test(number) || extra !== undefined) fail('expected sofia/gateway/<gateway>/<number>');
        return { kind: 'gateway', gateway, number };
      }
      const [profile = '', target = '', extra] = parts;
      if (!NAME.test(profile) || extra !== undefined) fail('expected sofia/<profile>/<user>@<host>');
      const at = /^([^@%;]+)([@%])([^;]+)((?:;.*)?)$/.exec(target);
      if (at === null) fail('expected sofia/<profile>/<user>@<host> or <user>%<domain>');
      const [, user = '', mark, host = '', params = ''] = at as RegExpExecArray;
      if (!NUMBER.test(user) || !HOST.test(host) || !SIP_PARAMS.test(params)) fail('expected sofia/<profile>/<user>@<host>[:port][;params]');
      return { kind: 'sofia', profile, user, host, external: mark === '@' };
    }
    case 'linegroup': {
      const [group = '', number = '', extra] = rest.split('/');
      if (!LINEGROUP_NAME.test(group) || !DIGITS.test(number) || extra !== undefined) fail('expected linegroup/<group>/<number> (a plain number)');
      return { kind: 'linegroup', group, number };
    }
    case 'nout': {
      const [extension = '', number = '', extra] = rest.split('/');
      if (!NUMBER.test(extension) || !DIGITS.test(number) || extra !== undefined) fail('expected nout/<extension>/<number> (a plain number)');
      return { kind: 'nout', extension, number };
    }
    case 'loopback': {
      const [extension = '', context, dialplan, extra] = rest.split('/');
      if (!NUMBER.test(extension) || extra !== undefined || [context, dialplan].some((p) => p !== undefined && !NAME.test(p))) {
        fail('expected loopback/<extension>[/<context>[/<dialplan>]]');
      }
      return { kind: 'loopback', extension, context, dialplan };
    }
    case 'group': {
      const [group = '', domain, extra] = rest.split('@');
      if (!NAME.test(group) || extra !== undefined || (domain !== undefined && !HOST.test(domain))) fail('expected group/<group>[@<domain>]');
      return { kind: 'group', group, domain };
    }
    case 'error':
      if (!CAUSE.test(rest)) fail('expected error/<CAUSE>');
      return { kind: 'error', cause: rest };
    case 'verto.rtc': {
      const [user = '', domain = '', extra] = rest.split('@');
      if (!NUMBER.test(user) || !HOST.test(domain) || extra !== undefined) fail('expected verto.rtc/<user>@<domain>');
      return { kind: 'verto', user, domain };
    }
    case 'freetdm':
      if (!/^[A-Za-z0-9_.]{1,32}\/[0-9aArR]{1,4}\/[A-Za-z0-9_.+*#-]{1,64}$/.test(rest)) fail('expected freetdm/<span>/<channel>/<number>');
      return { kind: 'freetdm', body: rest };
    default:
      return { kind: 'other', type, body: rest };
  }
}
