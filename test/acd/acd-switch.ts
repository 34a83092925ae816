/**
 * The ACD call flow on the fake FreeSWITCH, scripted per the esl-acd recordings
 * (../fixtures/freeswitch/esl-acd/README.md). Test-local: it drives the shared fake
 * (FakeFreeSwitch, its outbound `dial`) through its public API only.
 *
 * - Queue callers: `fake.dial(port, { variables: { freecti_queue } })`. Hold music (a
 *   `playback` of a stream listed in `streams`) plays until broken, like `loops: -1`
 *   (observation 1); other playbacks and `say` take `promptMs`.
 * - `uuid_break <uuid> all` → `+OK\n`, the playing application completes `FILE PLAYED` (obs. 2).
 * - `originate {vars}user/<ext> &park()` (api or bgapi; or `sofia/gateway/<gw>/<number>`, keyed
 *   by the number): the leg uuid is `origination_uuid`;
 *   per extension a script of outcomes: `answer` (CHANNEL_OUTGOING, CHANNEL_ANSWER, the job
 *   `+OK <uuid>\n`, then CHANNEL_EXECUTE/CHANNEL_PARK of `park`), `fail` with a cause (the
 *   recorded `-ERR USER_BUSY\n` etc., CHANNEL_HANGUP(_COMPLETE) with that cause), or `ring`
 *   (until killed: the job then says `-ERR ORIGINATOR_CANCEL\n`).
 * - `uuid_bridge <caller> <agent>` → `+OK <agent>\n`; the caller's playback ends
 *   `PLAYBACK ERROR`, CHANNEL_UNPARK, CHANNEL_EXECUTE_COMPLETE `socket`, CHANNEL_EXECUTE
 *   `uuid_bridge` on both, CHANNEL_BRIDGE on the caller (obs. 3); unknown uuid → `-ERR Invalid uuid\n`.
 * - `uuid_kill <uuid>`: a queue caller hangs up like a real caller (the fake's outbound
 *   sequence), an agent leg with CHANNEL_HANGUP + CHANNEL_HANGUP_COMPLETE.
 * - Callbacks: the customer leg is an originate like an agent's (`user/<number>` or a gateway,
 *   scripted by the number); `uuid_bridge <customer> <agent>` of two parked legs, and when either
 *   ends the other is hung up (esl-control park-uuid-bridge recording, obs. 7 and 8).
 * - After a bridge: when the agent leg ends, the caller gets CHANNEL_UNBRIDGE and goes on
 *   with the dialplan after `socket` (obs. 4): `afterSocket` 'hangup' (the documented
 *   dialplan: the caller is hung up) or 'park' (stays). When the caller ends, its agent leg
 *   (an originate whose app was `&park()`) is hung up (the socket-closed recordings,
 *   esl-control obs. 8).
 */
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { channelHeaders } from '../fake-freeswitch/channels.js';
import type { OutboundCall } from '../fake-freeswitch/outbound-call.js';
import type { ApiContext } from '../fake-freeswitch/api-defaults.js';

export type AgentOutcome = { kind: 'answer'; afterMs?: number } | { kind: 'fail'; cause: string; afterMs?: number } | { kind: 'ring' };

interface AgentLeg {
  uuid: string;
  ext: string;
  vars: Record<string, string>;
  state: 'ringing' | 'up' | 'gone';
  killed?: () => void;
  bridgedTo?: string;
}

interface Media {
  app: string;
  stop: (response: string) => void;
}

export class AcdSwitch {
  readonly calls = new Map<string, OutboundCall>();
  readonly legs = new Map<string, AgentLeg>();
  /** Every originate's arguments, in order. */
  readonly originates: string[] = [];
  /** Every uuid_bridge / uuid_kill / uuid_break argument text, in order. */
  readonly bridges: string[] = [];
  readonly kills: string[] = [];
  readonly breaks: string[] = [];
  /** Most agent legs one extension had at once (ringing or up). */
  readonly maxLegsPerExt = new Map<string, number>();
  private readonly scripts = new Map<string, AgentOutcome[]>();
  private readonly playing = new Map<string, Media>();
  defaultOutcome: AgentOutcome = { kind: 'answer', afterMs: 10 };
  /** What the dialplan after `socket` does once a bridged caller's agent left. */
  afterSocket: 'hangup' | 'park' = 'hangup';
  /** Picks the outcome of an originate without a scripted one (soak: random outcomes); undefined: `defaultOutcome`. */
  outcomeFor: ((ext: string) => AgentOutcome | undefined) | undefined;
  /** Called after each successful uuid_bridge. */
  onBridged: ((caller: string, leg: string) => void) | undefined;

  private constructor(
    readonly fake: FakeFreeSwitch,
    readonly streams: Set<string>,
    readonly promptMs: number,
  ) {
    fake.onExecute('playback', (ctx) => this.play(ctx.uuid, 'playback', ctx.arg));
    fake.onExecute('say', (ctx) => this.play(ctx.uuid, 'say', ctx.arg));
    fake.onApi('uuid_break', (args) => this.uuidBreak(args));
    fake.onApi('originate', (args) => this.originate(args));
    fake.onApi('uuid_bridge', (args) => this.uuidBridge(args));
    fake.onApi('uuid_kill', (args, ctx) => this.uuidKill(args, ctx));
  }

  static async start(options: { streams?: string[]; promptMs?: number } = {}): Promise<AcdSwitch> {
    const fake = await FakeFreeSwitch.start();
    return new AcdSwitch(fake, new Set(options.streams ?? ['local_stream://moh']), options.promptMs ?? 20);
  }

  /** Outcomes of the next originates to `ext`, in order (then `defaultOutcome`). */
  script(ext: string, ...outcomes: AgentOutcome[]): void {
    this.scripts.set(ext, [...(this.scripts.get(ext) ?? []), ...outcomes]);
  }

  /** A caller dials the queue through freecti's outbound socket. */
  caller(port: number, queue: string, variables: Record<string, string> = {}): OutboundCall {
    return this.track(this.fake.dial(port, { variables: { freecti_queue: queue, ...variables } }));
  }

  /** Tracks a dialled call: its end also ends a bridged agent leg. */
  track(call: OutboundCall): OutboundCall {
    this.calls.set(call.uuid, call);
    const hangup = call.hangup.bind(call);
    Object.assign(call, {
      hangup: async (cause = 'NORMAL_CLEARING'): Promise<void> => {
        this.playing.get(call.uuid)?.stop('PLAYBACK ERROR');
        await hangup(cause);
        for (const leg of this.legs.values()) if (leg.bridgedTo === call.uuid && leg.state === 'up') this.endLeg(leg.uuid, 'NORMAL_CLEARING');
      },
    });
    return call;
  }

  /** What plays on a channel now (`playback <arg>` / `say <arg>`), if anything. */
  nowPlaying(uuid: string): string | undefined {
    const media = this.playing.get(uuid);
    return media === undefined ? undefined : media.app;
  }

  /** The caller presses a key (a `DTMF` event on its channel, RFC 2833 as recorded). */
  dtmf(uuid: string, digit: string): void {
    const channel = this.fake.channel(uuid);
    if (channel === undefined) throw new Error(`no channel ${uuid}`);
    this.fake.emitEvent({ 'Event-Name': 'DTMF', ...channelHeaders(channel), 'DTMF-Digit': digit, 'DTMF-Duration': '2240', 'DTMF-Source': 'RTP' });
  }

  /** The caller hangs up (whatever plays ends first, as recorded). */
  async callerHangsUp(uuid: string, cause = 'NORMAL_CLEARING'): Promise<void> {
    await this.calls.get(uuid)?.hangup(cause);
  }

  /** An agent hangs up its (bridged) leg. */
  agentHangsUp(uuid: string, cause = 'NORMAL_CLEARING'): void {
    this.endLeg(uuid, cause);
  }

  async close(): Promise<void> {
    for (const media of this.playing.values()) media.stop('PLAYBACK ERROR');
    await this.fake.close();
  }

  private play(uuid: string, app: string, arg: string): Promise<{ response: string }> {
    return new Promise((resolve) => {
      const stop = (response: string): void => {
        if (this.playing.get(uuid)?.stop === stop) this.playing.delete(uuid);
        clearTimeout(timer);
        resolve({ response });
      };
      const endless = app === 'playback' && this.streams.has(arg);
      const timer = endless ? undefined : setTimeout(() => stop(app === 'playback' ? 'FILE PLAYED' : '_none_'), this.promptMs);
      this.playing.set(uuid, { app: `${app} ${arg}`, stop });
    });
  }

  private uuidBreak(args: string): string {
    this.breaks.push(args);
    const uuid = args.trim().split(/\s+/)[0] ?? '';
    if (!this.fake.channels.has(uuid)) return '-ERR No such channel!\n';
    this.playing.get(uuid)?.stop('FILE PLAYED');
    return '+OK\n';
  }

  private async originate(args: string): Promise<string> {
    this.originates.push(args);
    const vars: Record<string, string> = {};
    const block = /^\{([^}]*)\}/.exec(args);
    for (const part of (block?.[1] ?? '').split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) vars[part.slice(0, eq)] = part.slice(eq + 1).replace(/^'(.*)'$/, '$1');
    }
    // user/<ext>, or a gateway leg (a line of a line group): keyed by the number dialled.
    const ext = /user\/([^@\s]+)/.exec(args)?.[1] ?? /sofia\/gateway\/[^/\s]+\/([^\s]+)/.exec(args)?.[1];
    const uuid = vars['origination_uuid'];
    if (ext === undefined || uuid === undefined) return '-ERR CHAN_NOT_IMPLEMENTED\n';
    const outcome = this.scripts.get(ext)?.shift() ?? this.outcomeFor?.(ext) ?? this.defaultOutcome;
    const leg: AgentLeg = { uuid, ext, vars, state: 'ringing' };
    this.legs.set(uuid, leg);
    const open = [...this.legs.values()].filter((l) => l.ext === ext && l.state !== 'gone').length;
    this.maxLegsPerExt.set(ext, Math.max(open, this.maxLegsPerExt.get(ext) ?? 0));
    const channel = this.fake.channel(this.fake.addChannel({ uuid, name: `sofia/internal/${ext}@127.0.0.1`, direction: 'outbound', callerIdNumber: vars['origination_caller_id_number'] ?? '', destinationNumber: ext, answered: false, variables: vars }));
    if (channel === undefined) return '-ERR CHAN_NOT_IMPLEMENTED\n';
    const fire = (name: string, extra: Record<string, string> = {}): void => void this.fake.emitEvent({ 'Event-Name': name, ...channelHeaders(channel), ...extra });
    fire('CHANNEL_OUTGOING');
    fire('CHANNEL_CREATE');
    fire('CHANNEL_ORIGINATE');
    const killed = new Promise<'killed'>((resolve) => (leg.killed = () => resolve('killed')));
    const after = outcome.kind === 'ring' ? new Promise<'timer'>(() => undefined) : new Promise<'timer'>((resolve) => setTimeout(() => resolve('timer'), outcome.afterMs ?? 10));
    const what = await Promise.race([killed, after]);
    if (what === 'killed') return '-ERR ORIGINATOR_CANCEL\n';
    if (outcome.kind === 'fail') {
      this.endLeg(uuid, outcome.cause);
      return `-ERR ${outcome.cause}\n`;
    }
    channel.answered = true;
    leg.state = 'up';
    fire('CHANNEL_ANSWER');
    fire('CHANNEL_OUTGOING');
    // The job's result comes after the answer, before the park app starts (obs. 7 / esl-control obs. 4).
    setImmediate(() => {
      if (leg.state !== 'up') return;
      fire('CHANNEL_EXECUTE', { Application: 'park' });
      fire('CHANNEL_PARK');
    });
    return `+OK ${uuid}\n`;
  }

  private async uuidBridge(args: string): Promise<string> {
    this.bridges.push(args);
    const [a = '', b = ''] = args.trim().split(/\s+/);
    const caller = this.fake.channel(a);
    const agent = this.fake.channel(b);
    const leg = this.legs.get(b);
    if (caller === undefined || agent === undefined || leg === undefined || leg.state !== 'up') return '-ERR Invalid uuid\n';
    leg.bridgedTo = a;
    // Two originated legs (a callback: customer and agent, both `&park()`): each knows its partner.
    const aLeg = this.legs.get(a);
    if (aLeg !== undefined) aLeg.bridgedTo = b;
    const media = this.playing.get(a);
    if (media !== undefined) {
      media.stop('PLAYBACK ERROR');
      // Let the outbound call fire the application's completion first.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const fire = (channel: typeof caller, name: string, extra: Record<string, string> = {}): void => void this.fake.emitEvent({ 'Event-Name': name, ...channelHeaders(channel), ...extra });
    // The order of the recording where the caller's music played at uuid_bridge time (without-resume case).
    fire(caller, 'CHANNEL_UNPARK', { 'Other-Leg-Unique-ID': b });
    fire(caller, 'CHANNEL_EXECUTE_COMPLETE', { Application: 'socket', 'Application-Response': 'PLAYBACK ERROR', 'Other-Leg-Unique-ID': b });
    fire(agent, 'CHANNEL_UNPARK', { 'Other-Leg-Unique-ID': a });
    fire(agent, 'CHANNEL_EXECUTE_COMPLETE', { Application: 'park', 'Application-Response': '_none_', 'Other-Leg-Unique-ID': a });
    fire(caller, 'CHANNEL_EXECUTE', { Application: 'uuid_bridge', 'Application-Data': b, 'Other-Leg-Unique-ID': b });
    fire(agent, 'CHANNEL_EXECUTE', { Application: 'uuid_bridge', 'Application-Data': a, 'Other-Leg-Unique-ID': a });
    fire(caller, 'CHANNEL_BRIDGE', { 'Bridge-A-Unique-ID': a, 'Bridge-B-Unique-ID': b, 'Other-Leg-Unique-ID': b });
    this.onBridged?.(a, b);
    return `+OK ${b}\n`;
  }

  private uuidKill(args: string, ctx: ApiContext): string {
    this.kills.push(args);
    const [uuid = '', cause = 'NORMAL_CLEARING'] = args.trim().split(/\s+/);
    const call = this.calls.get(uuid);
    if (call !== undefined && call.hangupCause === undefined && this.fake.channels.has(uuid)) {
      this.playing.get(uuid)?.stop('PLAYBACK ERROR');
      void call.hangup(cause);
      return '+OK\n';
    }
    const leg = this.legs.get(uuid);
    if (leg !== undefined && leg.state !== 'gone') {
      if (leg.state === 'ringing') {
        leg.state = 'gone';
        leg.killed?.();
        this.endLeg(uuid, 'ORIGINATOR_CANCEL');
      } else this.endLeg(uuid, cause);
      return '+OK\n';
    }
    if (!ctx.channels.has(uuid)) return '-ERR No such channel!\n';
    ctx.hangup(uuid, cause);
    return '+OK\n';
  }

  private endLeg(uuid: string, cause: string): void {
    const leg = this.legs.get(uuid);
    const channel = this.fake.channel(uuid);
    if (leg !== undefined) leg.state = 'gone';
    if (channel === undefined) return;
    const other = leg?.bridgedTo === undefined ? {} : { 'Other-Leg-Unique-ID': leg.bridgedTo };
    this.fake.emitEvent({ 'Event-Name': 'CHANNEL_HANGUP', ...channelHeaders(channel, cause), ...other });
    if (leg?.bridgedTo !== undefined) {
      const partner = this.fake.channel(leg.bridgedTo);
      if (partner !== undefined) this.fake.emitEvent({ 'Event-Name': 'CHANNEL_UNBRIDGE', ...channelHeaders(partner), 'Other-Leg-Unique-ID': uuid });
    }
    this.fake.emitEvent({ 'Event-Name': 'CHANNEL_HANGUP_COMPLETE', ...channelHeaders(channel, cause), ...other });
    this.fake.removeChannel(uuid);
    const caller = leg?.bridgedTo === undefined ? undefined : this.calls.get(leg.bridgedTo);
    if (caller !== undefined && this.afterSocket === 'hangup' && caller.hangupCause === undefined) void caller.hangup('NORMAL_CLEARING');
    // Nothing keeps a uuid_bridge'd originated leg alive once its partner left (esl-control obs. 8).
    const partnerLeg = leg?.bridgedTo === undefined ? undefined : this.legs.get(leg.bridgedTo);
    if (partnerLeg !== undefined && partnerLeg.state === 'up') this.endLeg(partnerLeg.uuid, 'NORMAL_CLEARING');
  }
}
