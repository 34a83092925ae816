/**
 * The form fields freecti sends to the cti_bridge URL (POST,
 * application/x-www-form-urlencoded; docs/bridge.md). Every request carries `action` and
 * `uuid` (the seed's names) plus the call's parties; `action=request` also carries every
 * channel variable as `variable_<name>` (as mod_xml_curl does).
 */
import type { EslEvent } from '../esl/event.js';

export type BridgeAction = 'request' | 'ring' | 'progress' | 'answer' | 'hangup';

/** The call, as read from the outbound socket's connect reply (CHANNEL_DATA). */
export interface CallInfo {
  uuid: string;
  caller: string;
  callerName: string;
  callee: string;
  direction: string;
  context: string;
}

export function callInfoOf(uuid: string, data: EslEvent): CallInfo {
  return {
    uuid,
    caller: data.get('Caller-Caller-ID-Number') ?? '',
    callerName: data.get('Caller-Caller-ID-Name') ?? '',
    callee: data.get('Caller-Destination-Number') ?? '',
    direction: data.get('Call-Direction') ?? data.get('Channel-Direction') ?? '',
    context: data.get('Caller-Context') ?? '',
  };
}

export function baseFields(action: BridgeAction, call: CallInfo): Record<string, string> {
  return {
    action,
    uuid: call.uuid,
    caller: call.caller,
    caller_name: call.callerName,
    callee: call.callee,
    direction: call.direction,
    context: call.context,
  };
}

/** `action=request`: the base fields and `variable_<name>` for every channel variable. */
export function requestFields(call: CallInfo, data: EslEvent): Record<string, string> {
  const fields = baseFields('request', call);
  for (const name of Object.keys(data.headers)) {
    if (!name.startsWith('variable_')) continue;
    const values = data.getAll(name);
    fields[name] = values.length === 1 ? (values[0] ?? '') : values.join('|');
  }
  return fields;
}
