/** Events of the recorded FreeSWITCH sessions (test/fixtures/freeswitch), decoded by the real decoder. */
import { EslDecoder } from '../../src/esl/decoder.js';
import type { EslEvent } from '../../src/esl/event.js';
import { readEsl } from '../helpers/fixtures.js';

export function recordedEvents(relPath: string): EslEvent[] {
  const events: EslEvent[] = [];
  new EslDecoder().push(readEsl(relPath), (message) => {
    if (message.kind === 'event') events.push(message.event);
  });
  return events;
}

/** The bridge's CHANNEL_EXECUTE_COMPLETE on the A leg (the first `bridge` of the call). */
export function bridgeComplete(events: readonly EslEvent[]): EslEvent {
  const found = events.find((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && e.get('Application') === 'bridge');
  if (found === undefined) throw new Error('no bridge CHANNEL_EXECUTE_COMPLETE in the recording');
  return found;
}

/** The B leg's CHANNEL_HANGUP_COMPLETE of the first bridge, if that bridge created a B leg. */
export function bLegHangup(events: readonly EslEvent[]): EslEvent | undefined {
  const complete = bridgeComplete(events);
  const start = events.findIndex((e) => e.name === 'CHANNEL_EXECUTE' && e.get('Application') === 'bridge');
  const during = events.slice(start, events.indexOf(complete));
  const bUuid = during.find((e) => e.uuid !== complete.uuid && e.get('Other-Leg-Unique-ID') === complete.uuid)?.uuid;
  if (bUuid === undefined) return undefined;
  return events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === bUuid);
}
