/**
 * Builds the seed's EventRequest from the live channel (docs/nacd.md "The request"):
 *
 * - sip_network_ip / sip_network_port: the channel variables FreeSWITCH's sofia sets
 *   (where the caller's SIP came from); '' on channels without them (loopback, originate);
 * - timestamp: when this request or event happened, Unix time in seconds, as text;
 * - event: callflow requests `incoming` (the call entered the group), `dtmf` (digits of a
 *   `dtmf` action, in `dtmf`), `playback` (the ad_rings of a playback reply were played),
 *   `bridge_fail` (the bridge did not connect; the cause in additional_data.bridge_fail_cause);
 *   pushed events `incoming`, `callout`, `answered`, `hangup`, `canceled`, `dtmf`;
 * - direction: `inbound` for the caller's leg (a call into the group), `outbound` for the
 *   agent leg freecti dials (`callout`, `answered` of a bridge) and for every request and
 *   event of an answered nwaycallout call (channel variable `freecti_callout`), whose
 *   callee_number is the number the campaign dialled (`freecti_callout_number`) and
 *   caller_number the campaign's callerId (`origination_caller_id_number`);
 * - caller_number: the caller's caller id number; callee_number: the number dialed
 *   (Caller-Destination-Number), or the agent number for `callout`/`answered`;
 * - group_number: the channel's `nacd_group`;
 * - middle_number: the channel variable `nacd_middle_number` when set (a transfer or DID
 *   that set it), else the DID of a nin_did call, else the dialed number when it differs from group_number (the call came
 *   through a DID or another number), else '';
 * - dtmf: the digits of this step ('' when none);
 * - additional_data: the associate_data of the call's last reply that had one ({} before).
 */
import type { EslEvent } from '../esl/event.js';
import type { NacdRequest } from './wire.js';

export interface CallState {
  uuid: string;
  group: string;
  /** The associate_data carried into every later request and event. */
  data: Record<string, unknown>;
  /** The DID the call came in on (nin_did). */
  middle?: string;
}

/** Set on the calls an nwaycallout campaign dialled (src/callout/commands.ts): the campaign id, and the number dialled. */
export const CALLOUT_VARIABLE = 'freecti_callout';
export const CALLOUT_NUMBER_VARIABLE = 'freecti_callout_number';

export function baseRequest(channelData: EslEvent, call: CallState, now: number = Date.now()): NacdRequest {
  const variable = (name: string): string => channelData.variable(name) ?? '';
  const callout = variable(CALLOUT_VARIABLE) !== '';
  // A callout's destination number is the inline dialplan FreeSWITCH ran after the answer, not a number.
  const dialed = callout ? variable(CALLOUT_NUMBER_VARIABLE) : (channelData.get('Caller-Destination-Number') ?? variable('destination_number'));
  const middle = variable('nacd_middle_number') || call.middle || (!callout && dialed !== call.group ? dialed : '');
  return {
    sip_network_ip: variable('sip_network_ip'),
    sip_network_port: variable('sip_network_port'),
    timestamp: String(Math.floor(now / 1000)),
    event: 'incoming',
    direction: callout ? 'outbound' : 'inbound',
    // A callout's caller is the campaign's callerId, the originate's own variable.
    caller_number: (callout ? variable('origination_caller_id_number') : '') || (channelData.get('Caller-Caller-ID-Number') ?? variable('caller_id_number')),
    call_uuid: call.uuid,
    callee_number: dialed,
    group_number: call.group,
    middle_number: middle,
    dtmf: '',
    additional_data: { ...call.data },
  };
}
