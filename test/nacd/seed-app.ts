/**
 * The seed 004 Go server (acd_http_server: httpCallFlowHandler + pushEventHandler) in
 * TypeScript, field for field: groups 120 (bridge to 10002 with the agent id 10086 and
 * the survey), 110 (a two-digit IVR), 119 (goodbye and hang up), 122 (play alice.wav).
 * One addition so that a call ends: the Go server answers every request of a group the
 * same way (its 110 and 122 would ask forever); here a request after `dtmf` or `playback`
 * gets the 119 reply. docs/nacd.md shows this file as the worked example.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The seed's EventRequest. */
export interface EventRequest {
  sip_network_ip: string;
  sip_network_port: string;
  timestamp: string;
  event: string;
  direction: string;
  caller_number: string;
  call_uuid: string;
  callee_number: string;
  group_number: string;
  middle_number: string;
  dtmf: string;
  additional_data: Record<string, unknown> | null;
}

/** The seed's HTTPResponse (Go's zero values where the seed's handler leaves a field out). */
export interface HTTPResponse {
  uuid: string;
  caller: string;
  callee: string;
  action: string;
  action_data: Record<string, string> | null;
  after_bridge: string;
  after_bridge_data: string;
  dtmf_len: number;
  dtmf_audio: string;
  dtmf_bad_audio: string;
  use_survey: boolean;
  bridge_fail_ring: string;
  wait_for_answer_ring: string;
  transfer_ring: string;
  survey_ring: string[] | null;
  associate_data: Record<string, unknown> | null;
}

const ZERO: HTTPResponse = {
  uuid: '', caller: '', callee: '', action: '', action_data: null, after_bridge: '', after_bridge_data: '', dtmf_len: 0, dtmf_audio: '', dtmf_bad_audio: '',
  use_survey: false, bridge_fail_ring: '', wait_for_answer_ring: '', transfer_ring: '', survey_ring: null, associate_data: null,
};

export function callflow(req: EventRequest): HTTPResponse {
  const base = { ...ZERO, uuid: req.call_uuid, caller: req.caller_number, callee: req.callee_number, associate_data: req.additional_data };
  const group = req.event === 'dtmf' || req.event === 'playback' ? '119' : req.group_number;
  if (group === '120') {
    return {
      ...base,
      action: 'bridge',
      action_data: { ad_number: '10002', ad_gateway: '', ad_display_number: req.caller_number, ad_timeout: '30', ad_data: '' },
      after_bridge: 'playback',
      after_bridge_data: '10086', // the agent id (报工号)
      use_survey: true, // the satisfaction survey
      bridge_fail_ring: 'bridge_fail_ring.wav',
      wait_for_answer_ring: 'wait_for_answer_ring.wav',
      transfer_ring: 'transfer_ring.wav',
    };
  }
  if (group === '110') return { ...base, action: 'dtmf', dtmf_len: 2, dtmf_audio: '/home/ivr.wav', dtmf_bad_audio: '/home/ivr_bad.wav' };
  if (group === '119') return { ...base, action: 'hangup', action_data: { ad_rings: 'goodbye.wav' } };
  if (group === '122') return { ...base, action: 'playback', action_data: { ad_rings: 'alice.wav' } };
  // The Go server sends its zero HTTPResponse for any other group (an empty action: freecti's fallback runs).
  return ZERO;
}

export interface SeedApp {
  url: string;
  /** Callflow requests and pushed events, as received. */
  requests: EventRequest[];
  events: (EventRequest & { headers: IncomingMessage['headers'] })[];
  close(): Promise<void>;
}

/** POST /callflow and POST /event, like the Go server's two handlers. */
export async function startSeedApp(): Promise<SeedApp> {
  const requests: EventRequest[] = [];
  const events: SeedApp['events'] = [];
  const server: Server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: EventRequest;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as EventRequest;
      } catch {
        res.writeHead(400).end('Invalid request payload');
        return;
      }
      if (req.url === '/event') {
        events.push({ ...body, headers: req.headers });
        res.writeHead(200).end();
        return;
      }
      requests.push(body);
      const text = JSON.stringify(callflow(body));
      res.writeHead(200, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    events,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
