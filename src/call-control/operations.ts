/**
 * The typed call-control operations: each builds ONE FreeSWITCH command from validated
 * values and interprets its recorded reply. No HTTP here (routes.ts does that).
 */
import { randomUUID } from 'node:crypto';
import type { FsNode } from '../esl/types.js';

/** What an operation needs of a node: its name and the api commands (checked by the caller's policy, routes.ts). */
export type CommandNode = Pick<FsNode, 'name' | 'api' | 'bgapi'>;
import { FreectiError } from '../errors.js';
import { JOB_MARGIN_MS, runCommandText } from '../esl/slow-commands.js';
import { settleLinesOfJob, type LineHoldOptions } from '../originate/line-hold.js';
import type { LinegroupDialer } from '../originate/translate.js';
import { expectOk, parseConferenceList, parseShowJson } from './replies.js';
import { assertCause, assertFile, assertMember, assertName, assertNumber, assertUuid, bad } from './validate.js';

export interface ClickToCall {
  /** Agent extension, called first (`user/<agent>`). */
  agent: string;
  /** Customer number, called when the agent answered. */
  customer: string;
  /** How the customer is reached: a line group (default when set), a gateway, or an extension. */
  linegroup?: string | undefined;
  gateway?: string | undefined;
  /** Caller id shown to the agent (default: the customer number) and to the customer (default: the agent). */
  agentCallerId?: string | undefined;
  customerCallerId?: string | undefined;
  /** Record the customer leg from its answer (`execute_on_answer=record_session ...`). */
  record?: boolean | undefined;
  /** Seconds the agent's phone may ring. */
  timeoutSeconds?: number | undefined;
}

export interface Started {
  uuid: string;
  jobUuid: string;
  node: string;
  recording?: string;
}

/**
 * One FreeSWITCH command's text, by the /cli rule (src/esl/slow-commands.ts): `api` for a
 * command known to answer at once (every command below is), else `bgapi` and its job's
 * text, so no operation ever blocks the node's connection.
 */
async function run(node: CommandNode, command: string, arg: string): Promise<string> {
  return (await runCommandText(node, command, arg, { otherWaitMs: 60_000 })).text;
}

/**
 * click-to-call: agent first, then the customer (seed 003 example 2), as bgapi originate.
 * A line slot it took is held while the call lives and given back when the originate
 * fails, its job does not report within the agent's ring time (+ a margin), or the call
 * is gone (src/originate/line-hold.ts).
 */
export async function clickToCall(node: CommandNode, input: ClickToCall, dialLinegroup: LinegroupDialer, options: LineHoldOptions = {}): Promise<Started> {
  assertNumber(input.agent, 'agent');
  assertNumber(input.customer, 'customer');
  const agentCid = input.agentCallerId ?? input.customer;
  const customerCid = input.customerCallerId ?? input.agent;
  assertNumber(agentCid, 'agentCallerId');
  assertNumber(customerCid, 'customerCallerId');
  const timeout = input.timeoutSeconds ?? 30;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 300) throw bad('timeoutSeconds', '1 to 300');
  const uuid = randomUUID();
  let customerLeg: string;
  let release: ((cause: string) => Promise<void>) | undefined;
  if (input.linegroup !== undefined) {
    assertName(input.linegroup, 'linegroup');
    const resolved = await dialLinegroup(`linegroup/${input.linegroup}/${input.customer}`);
    customerLeg = resolved.dialString;
    release = resolved.release;
  } else if (input.gateway !== undefined) {
    assertName(input.gateway, 'gateway');
    customerLeg = `sofia/gateway/${input.gateway}/${input.customer}`;
  } else {
    customerLeg = `user/${input.customer}`;
  }
  const recording = input.record === true ? `$\${recordings_dir}/${uuid}.wav` : undefined;
  const customerVars = [`origination_caller_id_number=${customerCid}`];
  if (recording !== undefined) customerVars.push(`execute_on_answer='record_session ${recording}'`);
  const agentVars = [`origination_uuid=${uuid}`, `origination_caller_id_number=${agentCid}`, 'ignore_early_media=true', `originate_timeout=${timeout}`];
  const args = `{${agentVars.join(',')}}user/${input.agent} &bridge({${customerVars.join(',')}}${customerLeg})`;
  try {
    const job = await node.bgapi('originate', args);
    if (release !== undefined) settleLinesOfJob(node, job.wait({ timeoutMs: timeout * 1000 + JOB_MARGIN_MS }), release, options);
    return { uuid, jobUuid: job.jobUuid, node: node.name, ...(recording === undefined ? {} : { recording }) };
  } catch (error) {
    await release?.('ORIGINATOR_CANCEL').catch(() => undefined);
    throw error;
  }
}

export async function hangup(node: CommandNode, uuid: string, cause = 'NORMAL_CLEARING'): Promise<string> {
  assertUuid(uuid);
  assertCause(cause);
  return expectOk(await run(node, 'uuid_kill', `${uuid} ${cause}`), 'hangup', uuid);
}

export type TransferLeg = 'aleg' | 'bleg' | 'both';

export async function transfer(node: CommandNode, uuid: string, destination: string, context = 'default', leg: TransferLeg = 'aleg'): Promise<string> {
  assertUuid(uuid);
  assertNumber(destination, 'destination');
  assertName(context, 'context');
  const flag = leg === 'aleg' ? '' : `-${leg} `;
  return expectOk(await run(node, 'uuid_transfer', `${uuid} ${flag}${destination} XML ${context}`), 'transfer', uuid);
}

/** `uuid_hold` answers +OK even for an unknown uuid (observation 21): check it exists first. */
async function assertExists(node: CommandNode, uuid: string): Promise<void> {
  assertUuid(uuid);
  const exists = await run(node, 'uuid_exists', uuid);
  if (exists.trim() !== 'true') throw new FreectiError('CALL_NOT_FOUND', `no call ${uuid}`);
}

export async function hold(node: CommandNode, uuid: string, on: boolean): Promise<string> {
  await assertExists(node, uuid);
  return expectOk(await run(node, 'uuid_hold', on ? uuid : `off ${uuid}`), on ? 'hold' : 'unhold', uuid);
}

export type BroadcastLeg = 'aleg' | 'bleg' | 'holdb' | 'both';

export async function broadcast(node: CommandNode, uuid: string, file: string, leg: BroadcastLeg): Promise<string> {
  assertUuid(uuid);
  assertFile(file);
  return expectOk(await run(node, 'uuid_broadcast', `${uuid} ${file} ${leg}`), 'broadcast', uuid);
}

export type EavesdropMode = 'listen' | 'whisper' | 'barge';

/**
 * A supervisor phone listens to a live call (observations 11-12): `whisper` lets the
 * eavesdropped uuid's own party hear the supervisor (`eavesdrop_whisper_bleg`),
 * `whisperTo: 'partner'` the other party (`eavesdrop_whisper_aleg`), `barge` both.
 */
export async function eavesdrop(
  node: CommandNode,
  uuid: string,
  input: { supervisor: string; mode: EavesdropMode; whisperTo?: 'self' | 'partner' | undefined; callerId?: string | undefined },
): Promise<Started> {
  assertNumber(input.supervisor, 'supervisor');
  const callerId = input.callerId ?? 'eavesdrop';
  assertNumber(callerId, 'callerId');
  await assertExists(node, uuid);
  const supervisorUuid = randomUUID();
  const vars = [`origination_uuid=${supervisorUuid}`, `origination_caller_id_number=${callerId}`, 'eavesdrop_enable_dtmf=true'];
  if (input.mode === 'whisper') vars.push(input.whisperTo === 'partner' ? 'eavesdrop_whisper_aleg=true' : 'eavesdrop_whisper_bleg=true');
  if (input.mode === 'barge') vars.push('eavesdrop_whisper_aleg=true', 'eavesdrop_whisper_bleg=true');
  const job = await node.bgapi('originate', `{${vars.join(',')}}user/${input.supervisor} &eavesdrop(${uuid})`);
  return { uuid: supervisorUuid, jobUuid: job.jobUuid, node: node.name };
}

export async function listCalls(node: CommandNode): Promise<Record<string, unknown>[]> {
  return parseShowJson(await run(node, 'show', 'channels as json'), 'list calls');
}

export async function listRegistrations(node: CommandNode): Promise<Record<string, unknown>[]> {
  return parseShowJson(await run(node, 'show', 'registrations as json'), 'list registrations');
}

export async function listConferences(node: CommandNode, name?: string): Promise<Record<string, unknown>[]> {
  if (name === undefined) return parseConferenceList(await run(node, 'conference', 'json_list'), 'list conferences');
  assertName(name, 'conference');
  return parseConferenceList(await run(node, 'conference', `${name} json_list`), `conference ${name}`);
}

export type MemberAction = 'mute' | 'unmute' | 'kick' | 'hup';

export async function memberAction(node: CommandNode, name: string, member: string, action: MemberAction): Promise<string> {
  assertName(name, 'conference');
  assertMember(member);
  return expectOk(await run(node, 'conference', `${name} ${action} ${member}`), `conference ${action}`);
}

/** Plays to one member, or to the whole conference (`async`, everybody hears it). */
export async function conferencePlay(node: CommandNode, name: string, file: string, member?: string): Promise<string> {
  assertName(name, 'conference');
  assertFile(file);
  if (member !== undefined) assertMember(member);
  return expectOk(await run(node, 'conference', `${name} play ${file} ${member ?? 'async'}`), 'conference play');
}
