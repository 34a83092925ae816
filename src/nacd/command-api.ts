/**
 * The typed REST form of the nacd commands (docs/nacd.md "Commands over REST"): the zod
 * schemas of the bodies (the OpenAPI document is generated from them, command-openapi.ts),
 * the NacdCommand each request stands for, and the /cli text of that command. The text is
 * what the key's policy checks and the audit shows; it is read back by the one parser
 * (src/fs-lang/nacd-commands.ts) and must give the same command, so a REST request can
 * do nothing its /cli form could not.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { FreectiError } from '../errors.js';
import { NACD_LIMIT_MAX, parseNacdCommand, type NacdCommand } from '../fs-lang/nacd-commands.js';
import { DIGITS, NUMBER } from '../fs-lang/dial-string.js';
import { UUID } from '../fs-lang/applications.js';
import { HANDOFF_GROUP } from '../fs-lang/handoff.js';

/** One word of a command: no white space, quotes, braces or control characters. */
// eslint-disable-next-line no-control-regex
const WORD = /^[^\s'"{}\x00-\x1f\x7f]{1,256}$/;

export const uuidParams = z.strictObject({ uuid: z.string().regex(UUID, 'not a channel uuid') });
export const lineParams = z.strictObject({ group: z.string().min(1).max(64), line: z.string().min(1).max(128) });

/** A line limit: 1..max (the nacd_max parser's bounds, src/fs-lang/nacd-commands.ts), or null for none. */
const limit = (max: number) => z.union([z.number().int().min(1).max(max), z.null()]);
export const limitsBody = z
  .strictObject({
    cps: limit(NACD_LIMIT_MAX.cps).optional().describe('Calls per second on the line (1..100000), null = no limit'),
    concurrency: limit(NACD_LIMIT_MAX.concurrency).optional().describe('Calls at once on the line (1..1000000), null = no limit'),
  })
  .refine((b) => b.cps !== undefined || b.concurrency !== undefined, 'set cps, concurrency or both');

export const holdBody = z.strictObject({
  mode: z.enum(['on', 'off', 'toggle']).default('on').describe('on = nway_uuid_hold, off = nway_uuid_unhold, toggle = nway_uuid_hold toggle'),
});

export const transferBody = z.strictObject({
  leg: z.enum(['aleg', 'bleg', 'both']).default('aleg').describe('aleg = the call itself, bleg = its bridged partner (-bleg), both (-both)'),
  destination: z.string().regex(WORD, 'one word: no white space, quotes or braces').describe('The extension, or an inline application list with dialplan inline'),
  dialplan: z.string().regex(/^[A-Za-z0-9_]{1,32}$/).optional().describe('XML (default in FreeSWITCH), inline, ...'),
  context: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/).optional().describe('The dialplan context (dialplan XML when only the context is given)'),
});

export const threewayBody = z.strictObject({
  target: z.string().regex(WORD, 'one dial string: no white space, quotes or braces').describe('The third party: one dial string (user/1003, sofia/gateway/gw/138..., nout/<extension>/<number>, ...)'),
});

export const groupBody = z.strictObject({ group: z.string().regex(HANDOFF_GROUP, 'a group number: letters, digits, _ . + -').describe('The nacd group number') });

const number = z.string().regex(NUMBER, 'a plain number (letters, digits, _ . + * # -)');
export const originateBody = z.strictObject({
  agent: number.describe('The extension called first (user/<agent>)'),
  customer: z.string().regex(DIGITS, 'digits, * #, an optional leading +').describe('The number dialled outside when the agent answered'),
  extension: number.optional().describe("Whose DID-out entry the customer leg uses (nout/<extension>/<customer>); default: agent"),
  agentCallerId: number.optional().describe('Caller id shown to the agent (default: the customer number)'),
  customerCallerId: number.optional().describe("Caller id shown to the customer, instead of the DID-out entry's callerId"),
  timeoutSeconds: z.number().int().min(1).max(300).default(30).describe("Seconds the agent's phone may ring"),
});
export type OriginateBody = z.infer<typeof originateBody>;

/** A command as /cli would send it: the `cmd` and `arg` parameters. */
export interface CommandLine {
  command: string;
  args: string;
}

/** The /cli text of a parsed nacd command (parseNacdCommand's inverse). */
export function commandLine(parsed: NacdCommand): CommandLine {
  switch (parsed.name) {
    case 'nacd_version':
      return { command: 'nacd_version', args: '' };
    case 'nacd_max': {
      if (parsed.line === undefined) return { command: 'nacd_max', args: '' };
      const target = `${parsed.line.group}/${parsed.line.line}`;
      const set = parsed.set === undefined ? '' : ` ${parsed.set.limit} ${parsed.set.value ?? 'none'}`;
      return { command: 'nacd_max', args: `${target}${set}` };
    }
    case 'nacd': {
      const [kind, verb] = parsed.what.split('-') as [string, string];
      const words = [kind, verb];
      if ('id' in parsed) words.push(parsed.id);
      if (parsed.what === 'agent-break' && parsed.reason !== '') words.push(parsed.reason);
      return { command: 'nacd', args: words.join(' ') };
    }
    case 'nway_uuid_hold':
      if (parsed.mode === 'off') return { command: 'nway_uuid_unhold', args: parsed.uuid };
      return { command: 'nway_uuid_hold', args: parsed.mode === 'on' ? parsed.uuid : `${parsed.mode} ${parsed.uuid}` };
    case 'nway_uuid_transfer':
      return { command: 'nway_uuid_transfer', args: [parsed.uuid, parsed.leg, parsed.destination].filter((w) => w !== '').join(' ') };
    case 'nacd_transfer':
      return { command: 'nacd_transfer', args: `${parsed.uuid} ${parsed.group}` };
    case 'nway_threeway':
      return { command: 'nway_threeway', args: `${parsed.uuid} ${parsed.target}` };
  }
}

/**
 * The command lines of `wanted` a key may be granted, the first preferred: `nway_uuid_unhold
 * <uuid>` is also `nway_uuid_hold off <uuid>`, so either grant allows it, as over /cli.
 * Each is checked to read back as `wanted` (400 BAD_REQUEST otherwise, before any key
 * check or command).
 */
export function checkedLines(wanted: NacdCommand): CommandLine[] {
  const lines = [commandLine(wanted)];
  if (wanted.name === 'nway_uuid_hold' && wanted.mode === 'off') lines.push({ command: 'nway_uuid_hold', args: `off ${wanted.uuid}` });
  return lines.map((line) => checkedLine(wanted, line));
}

function checkedLine(wanted: NacdCommand, line: CommandLine): CommandLine {
  let parsed: NacdCommand;
  try {
    parsed = parseNacdCommand(line.command, line.args);
  } catch (error) {
    throw new FreectiError('BAD_REQUEST', (error as Error).message, { details: { command: line.command } });
  }
  if (!isDeepStrictEqual(parsed, wanted)) throw new FreectiError('BAD_REQUEST', `${line.command}: the values do not form one command`, { details: { command: line.command } });
  return line;
}

/** The nway_uuid_transfer command of a transfer body. */
export function transferCommand(uuid: string, body: z.infer<typeof transferBody>): NacdCommand {
  const dialplan = body.dialplan ?? (body.context === undefined ? undefined : 'XML');
  const destination = [body.destination, dialplan, body.context].filter((w): w is string => w !== undefined).join(' ');
  return { name: 'nway_uuid_transfer', uuid, leg: body.leg === 'aleg' ? '' : `-${body.leg}`, destination };
}

/**
 * The noriginate arguments of an originate body: the agent first, then the customer
 * through the extension's DID-out entry (`nout/<extension>/<customer>`), as a /cli
 * `noriginate` would write it.
 */
export function noriginateArgs(uuid: string, body: OriginateBody): string {
  const agentVars = [`origination_uuid=${uuid}`, `origination_caller_id_number=${body.agentCallerId ?? body.customer}`, 'ignore_early_media=true', `originate_timeout=${body.timeoutSeconds}`];
  const customerVars = body.customerCallerId === undefined ? '' : `[origination_caller_id_number=${body.customerCallerId}]`;
  return `{${agentVars.join(',')}}user/${body.agent} &bridge(${customerVars}nout/${body.extension ?? body.agent}/${body.customer})`;
}
