/**
 * mod_nacd's nin_did / nout_did on freecti's outbound socket (docs/nacd.md "DID"):
 *
 *     <action application="set" data="nacd_did=in"/>   (or out)
 *     <action application="socket" data="127.0.0.1:8084 async full"/>
 *
 * - in: the dialed number is looked up in the DID-in table: an extension is transferred
 *   to (`transfer <extension> XML <context>`, default the caller's context), a queue
 *   entered (the ACD), a group's HTTP callflow run with middle_number = the DID. A number
 *   with no entry: the `nacd.fallback` (a prompt and hangup, or a queue), one warn line.
 * - out: the caller's number (the extension) is looked up in the DID-out table: the
 *   dialed number is bridged with that caller id through its line group (line selection,
 *   limits, failover) or gateway, like cti_bridge's `cti_dial`. A caller with no entry:
 *   `nacd_did_error=not_found` on the channel, one info line, and FreeSWITCH goes on with
 *   the dialplan after `socket` (the operator's plain route). A dialed number that is not a
 *   plain number (it would add legs or a host to the dial string), or one the entry's route
 *   cannot dial (a line group dials digits, `*`, `#` and a leading `+`): `nacd_did_error=bad_number`,
 *   one warn line, the dialplan goes on.
 */
import { isPlainNumber } from '../dial-string/index.js';
import { FreectiError, isFreectiError } from '../errors.js';
import { runBridge, subscribe } from '../bridge/bridge-call.js';
import { didOutTarget, withDidOutCallerId } from './did-out.js';
import { FsSyntaxError } from '../fs-lang/scan.js';
import { runNacd, type NacdChannel, type NacdDeps, type NacdResult } from './callflow.js';

export const DID_VARIABLE = 'nacd_did';

export async function runDid(channel: NacdChannel, deps: NacdDeps): Promise<NacdResult> {
  const direction = channel.channelData.variable(DID_VARIABLE) ?? '';
  const log = deps.logger.child({ component: 'nacd-did', uuid: channel.uuid, direction });
  const dialed = channel.channelData.get('Caller-Destination-Number') ?? channel.channelData.variable('destination_number') ?? '';
  const failed = (error: FreectiError): Promise<NacdResult> => runNacd(channel, deps, { group: '', middleNumber: dialed, failure: error, subscribed: true });
  await subscribe(channel);
  await channel.execute('unset', DID_VARIABLE);
  if (deps.did === undefined) return failed(new FreectiError('INTERNAL', 'DID tables are not available on this instance'));
  if (direction === 'in') {
    let entry;
    try {
      entry = await deps.did.in.find(dialed);
    } catch (error) {
      return failed(isFreectiError(error) ? error : new FreectiError('INTERNAL', (error as Error).message));
    }
    if (entry === null) return failed(new FreectiError('NOT_FOUND', `nin_did: no DID-in entry for '${dialed.slice(0, 64)}'`));
    log.info({ did: dialed, to: entry }, 'nin_did');
    if (entry.type === 'group') return runNacd(channel, deps, { group: entry.group, middleNumber: dialed, subscribed: true });
    if (entry.type === 'queue') {
      if (deps.queue === undefined) return failed(new FreectiError('INTERNAL', 'nin_did: the ACD does not run on this instance'));
      await deps.queue({ queue: entry.queue, ...(entry.priority === undefined ? {} : { priority: entry.priority }) });
      return { outcome: 'queued', requests: 0 };
    }
    const context = entry.context ?? channel.channelData.get('Caller-Context') ?? 'default';
    const data = `${entry.extension} XML ${context}`;
    try {
      deps.policy?.application('transfer', data, { outbound: true }, 'nin_did transfer');
    } catch (error) {
      return failed(new FreectiError('BAD_REQUEST', `nin_did: ${(error as Error).message}`));
    }
    await channel.execute('transfer', data);
    return { outcome: 'transferred', requests: 0 };
  }
  if (direction === 'out') {
    const caller = channel.channelData.get('Caller-Caller-ID-Number') ?? '';
    const entry = await deps.did.out.find(caller).catch((error: unknown) => {
      log.warn({ err: (error as Error).message }, 'nout_did: cannot read the DID-out table');
      return null;
    });
    // The dialed number is spliced into a dial string: anything but a plain number (a ',' or '|'
    // adding legs, an '@host') goes back to the dialplan like a caller without an entry.
    if (!isPlainNumber(dialed)) {
      log.warn({ caller, dialed: String(dialed).slice(0, 64) }, 'nout_did: the dialed number is not a plain number; the dialplan goes on');
      await channel.execute('set', 'nacd_did_error=bad_number').catch(() => undefined);
      return { outcome: 'handed-back', requests: 0 };
    }
    if (entry === null) {
      log.info({ caller }, 'nout_did: no DID-out entry for the caller; the dialplan goes on');
      await channel.execute('set', 'nacd_did_error=not_found').catch(() => undefined);
      return { outcome: 'handed-back', requests: 0 };
    }
    // The same rules as every other dial path (did-out.ts): the entry's route, its caller id.
    const target = didOutTarget(entry, dialed);
    let dial: string;
    try {
      dial = withDidOutCallerId(target, entry.callerId);
    } catch (error) {
      // A plain number the route cannot dial (a line group dials digits, * # and a leading + only).
      if (!(error instanceof FsSyntaxError)) throw error;
      log.warn({ caller, dialed: dialed.slice(0, 64), reason: error.message }, 'nout_did: the route cannot dial the dialed number; the dialplan goes on');
      await channel.execute('set', 'nacd_did_error=bad_number').catch(() => undefined);
      return { outcome: 'handed-back', requests: 0 };
    }
    log.info({ caller, callerId: entry.callerId, target }, 'nout_did');
    const result = await runBridge(channel, deps, { dial, subscribed: true });
    return { outcome: result.continued === true ? 'handed-back' : 'hungup', requests: 0 };
  }
  return failed(new FreectiError('BAD_REQUEST', `nacd_did '${direction.slice(0, 20)}' is not in or out`));
}
