/**
 * A queue caller on freecti's outbound socket (`set freecti_queue=<queue>` + `socket
 * <host:port> async full`, or the `queue` routing action), esl-acd recordings:
 *
 *   myevents, linger, answer (or pre_answer; variable freecti_queue_answer) → engine.enqueue
 *   → hold music: execute playback <queue moh> with `loops: -1` (it repeats by itself, and
 *     keeps playing if freecti goes away: freecti never sends `resume` while the caller
 *     waits, so a closed socket leaves the channel in the socket app with its music,
 *     esl-acd observation 6, and any instance can still uuid_bridge it)
 *   → every announcement period: api uuid_break <caller> all, the periodic prompt, the
 *     position (`say <lang> number pronounced <n>`) and the estimated wait (`say <lang>
 *     time_measurement pronounced <seconds>`), then the music again
 *   → DTMF exit keys → engine.callerLeft(exit-key) → the exit
 *   → the callback key → engine.requestCallback (the entry keeps its place without this
 *     channel) → the callback prompt → hangup (docs/acd.md "Callback")
 *   → the engine's max-wait / no-agent exits (AcdCalls routes them here)
 *   → the agent side bridges the caller from the inbound pool (agent-legs.ts): the
 *     uuid_bridge cuts the music and ends the socket app; this session then only waits
 *   → the caller hangs up while waiting: engine.callerLeft(abandon), ringing agents killed.
 *
 * Exits: another queue (enqueue there, music goes on), a number or a group (`resume`, then
 * `transfer <target> XML <context>`, the socket is let go), a prompt then hangup.
 */
import type { Logger } from '../../logger.js';
import type { EslEvent } from '../../esl/event.js';
import type { OutboundSession } from '../../esl/outbound-session.js';
import type { FsPolicy } from '../../fs-lang/policy.js';
import type { AcdApi, EnqueueRequest, ExitDescriptor, QueueConfig } from '../types.js';
import type { AgentLegs } from './agent-legs.js';
import { ACD_SCOPE, checked } from './commands.js';
import type { QueueCallerRequest } from './queue-action.js';

export type { QueueCallerRequest } from './queue-action.js';

export interface QueueCallerDeps {
  engine: AcdApi;
  legs: AgentLegs;
  policy: FsPolicy;
  logger: Logger;
  /** The pool name of the FreeSWITCH node this session comes from. */
  node: string;
  /** Context of number/group exits without one (default: the caller's own context). */
  exitContext?: string;
  /** Language of the `say` announcements (default `en`). */
  sayLanguage?: string;
}

export type QueueCallerOutcome = 'bridged' | 'abandoned' | 'exited' | 'refused' | 'failed' | 'detached';

const MAX_QUEUE_HOPS = 8;
/** Played when a queue's hold music ends by itself (the queue setting's default). */
const DEFAULT_MOH = 'local_stream://moh';

/** Channel-variable syntax of required skills: `name:level,name:level`. */
export function parseSkills(text: string | undefined): Record<string, number> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const skills: Record<string, number> = {};
  for (const part of text.split(',')) {
    const match = /^\s*([A-Za-z0-9_.-]{1,64})\s*:\s*(\d{1,3})\s*$/.exec(part);
    if (match === null) throw new Error(`freecti_queue_skills: '${part.slice(0, 40)}' is not name:level`);
    skills[match[1] as string] = Number(match[2]);
  }
  return skills;
}

export class QueueCaller {
  private queue: QueueConfig | undefined;
  private phase: 'starting' | 'waiting' | 'announcing' | 'exiting' | 'bridged' | 'gone' = 'starting';
  private music: Promise<unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastPositionAt = 0;
  private lastPeriodicAt = 0;
  private readonly log: Logger;
  private readonly done: Promise<QueueCallerOutcome>;
  private finish!: (outcome: QueueCallerOutcome) => void;
  private outcome: QueueCallerOutcome | undefined;
  private hops = 0;

  constructor(
    readonly session: OutboundSession,
    private readonly deps: QueueCallerDeps,
  ) {
    this.log = deps.logger.child({ component: 'acd-caller', uuid: session.uuid });
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  get uuid(): string {
    return this.session.uuid;
  }

  /** Bridged or hung up (read through a method: phases change across awaits). */
  private ended(): boolean {
    return this.phase === 'gone' || this.phase === 'bridged';
  }

  get waiting(): boolean {
    return this.phase === 'waiting' || this.phase === 'announcing';
  }

  /** Runs the caller until it is bridged, left or refused; never throws. */
  async run(request: QueueCallerRequest): Promise<QueueCallerOutcome> {
    this.session.on('event', (event) => this.onEvent(event));
    void this.session.whenEnded().then((reason) => {
      // Only FreeSWITCH's notice says the channel is down. A socket closed by freecti (shutdown)
      // or lost leaves the caller in FreeSWITCH with its music (esl-acd observation 6): its
      // entry stays, and any instance bridges it; the reaper settles a caller that is gone.
      if (reason === 'disconnect-notice') void this.onGone();
      else this.detach(reason);
    });
    try {
      await this.session.myevents();
      await this.session.linger();
      // An unknown queue is refused before the call is answered: the dialplan goes on untouched.
      if ((await this.deps.engine.getQueue(request.queue)) === null) throw new Error(`queue '${request.queue.slice(0, 64)}' does not exist`);
      await this.answer();
      await this.join(request.queue, request.priority, request.skills);
    } catch (error) {
      if (this.phase !== 'gone' && this.phase !== 'bridged') {
        this.log.error({ err: error }, `acd caller: ${(error as Error).message}; the dialplan goes on`);
        await this.letGo();
        this.end('failed');
      }
    }
    return this.done;
  }

  /** An exit decided by the engine (max wait, no agent) for this caller. */
  exit(exit: ExitDescriptor, reason: string): void {
    if (!this.waiting) return;
    this.log.info({ exit, reason }, 'acd caller: the engine sends the caller out of the queue');
    void this.performExit(exit).catch((error: unknown) => this.log.error({ err: error }, 'acd caller: exit failed'));
  }

  private async answer(): Promise<void> {
    const mode = this.session.variable('freecti_queue_answer') ?? 'answer';
    if (mode === 'none') return;
    if (mode !== 'answer' && mode !== 'pre_answer') throw new Error(`freecti_queue_answer '${mode.slice(0, 20)}' is not answer, pre_answer or none`);
    await this.session.execute(mode);
  }

  private async join(name: string, priority: number | undefined, skills: Record<string, number> | undefined): Promise<void> {
    this.hops += 1;
    if (this.hops > MAX_QUEUE_HOPS) throw new Error(`queue exits went through ${MAX_QUEUE_HOPS} queues; stopping`);
    const queue = await this.deps.engine.getQueue(name);
    if (queue === null) throw new Error(`queue '${name.slice(0, 64)}' does not exist`);
    // The queue's music must pass the policy before the caller is queued (a refusal lets the dialplan go on).
    this.deps.policy.media(queue.moh, `queue '${name.slice(0, 64)}' moh`);
    const request: EnqueueRequest = {
      queue: name,
      callUuid: this.uuid,
      node: this.deps.node,
      callerIdNumber: this.session.callerNumber ?? '',
      callerIdName: this.session.callerName ?? '',
      ...(priority === undefined ? {} : { priority }),
      ...(skills === undefined ? {} : { skills }),
    };
    if (this.ended()) return;
    const result = await this.deps.engine.enqueue(request);
    if (result.status === 'exit') {
      this.log.info({ queue: name, reason: result.reason }, 'acd caller: not queued');
      this.queue = queue;
      this.phase = 'exiting';
      await this.performExit(result.exit, priority, skills);
      return;
    }
    this.queue = queue;
    this.log.info({ queue: name, entry: result.entryId, position: result.position, resumed: result.resumed }, 'acd caller: queued');
    if (this.phase === 'gone') {
      // Hung up while the enqueue was in flight: the entry it made is an abandon.
      await this.leave();
      return;
    }
    if (this.ended()) return;
    const now = Date.now();
    this.lastPeriodicAt = now;
    this.lastPositionAt = now;
    this.phase = 'waiting';
    this.startMusic();
    this.schedule();
  }

  private startMusic(fallback = false): void {
    const queue = this.queue;
    if (queue === undefined || !this.waiting) return;
    const moh = fallback ? DEFAULT_MOH : queue.moh;
    const run: Promise<void> = this.session.execute('playback', moh, { loops: -1 }).then(
      (done) => {
        if (this.music === run) this.musicEnded(done, fallback);
      },
      (error: unknown) => {
        if (this.phase !== 'gone') this.log.debug({ err: error }, 'acd caller: hold music ended without completion');
      },
    );
    this.music = run;
  }

  /**
   * The hold music completed while nobody broke it: `loops: -1` never ends by itself, so the file
   * or stream failed (FILE NOT FOUND, a stream that stopped). The caller must not wait in
   * silence: the default music plays instead (again every 5 s while that fails too). A
   * completion cut by a uuid_bridge (it names the other leg) is the bridge, not a failure.
   */
  private musicEnded(done: EslEvent, fallback: boolean): void {
    if (this.phase !== 'waiting') return;
    if (done.get('Other-Leg-Unique-ID') !== undefined || done.get('Application-Response') === 'PLAYBACK ERROR') return;
    this.music = undefined;
    this.log.warn({ moh: fallback ? DEFAULT_MOH : this.queue?.moh, response: done.get('Application-Response') }, `acd caller: hold music ended by itself; playing ${DEFAULT_MOH}`);
    const restart = setTimeout(() => {
      if (this.phase !== 'waiting' || this.music !== undefined) return;
      try {
        this.deps.policy.media(DEFAULT_MOH, 'acd default hold music');
      } catch (error) {
        this.log.error({ err: error }, 'acd caller: the default hold music is refused by the policy');
        return;
      }
      this.startMusic(true);
    }, fallback ? 5_000 : 0);
    restart.unref();
  }

  /** Breaks whatever plays (hold music or a prompt) and waits until it completed. */
  private async breakMedia(): Promise<void> {
    const playing = this.music;
    this.music = undefined;
    if (playing === undefined) return;
    await this.session.api('uuid_break', checked(this.deps.policy, 'uuid_break', `${this.uuid} all`));
    await playing;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    const a = this.queue?.announcements;
    if (a === undefined || !this.waiting) return;
    const due: number[] = [];
    if (a.periodic !== null && a.periodicSec > 0) due.push(this.lastPeriodicAt + a.periodicSec * 1000);
    if (a.positionSec > 0) due.push(this.lastPositionAt + a.positionSec * 1000);
    if (due.length === 0) return;
    this.timer = setTimeout(() => void this.announce().catch((error: unknown) => this.log.warn({ err: error }, 'acd caller: announcement failed')), Math.max(0, Math.min(...due) - Date.now()));
    this.timer.unref();
  }

  private async announce(): Promise<void> {
    const queue = this.queue;
    if (queue === undefined || this.phase !== 'waiting') return;
    const a = queue.announcements;
    const now = Date.now();
    const periodic = a.periodic !== null && a.periodicSec > 0 && now >= this.lastPeriodicAt + a.periodicSec * 1000 - 50;
    const position = a.positionSec > 0 && now >= this.lastPositionAt + a.positionSec * 1000 - 50;
    if (periodic) this.lastPeriodicAt = now;
    if (position) this.lastPositionAt = now;
    const steps: [string, string][] = [];
    if (periodic && a.periodic !== null) steps.push(['playback', a.periodic]);
    if (position) {
      const pos = await this.deps.engine.position(this.uuid);
      if (pos !== null) {
        const lang = this.deps.sayLanguage ?? 'en';
        steps.push(['say', `${lang} number pronounced ${pos}`]);
        if (a.estimatedWait) steps.push(['say', `${lang} time_measurement pronounced ${await this.deps.engine.estimateWait(queue.name, pos)}`]);
      }
    }
    if (steps.length > 0 && this.phase === 'waiting') {
      // Checked before the music stops: a refused prompt must not leave the caller in silence.
      for (const [app, data] of steps) this.deps.policy.application(app, data, ACD_SCOPE, `acd announcement ${app}`);
      this.phase = 'announcing';
      try {
        await this.breakMedia();
        for (const [app, data] of steps) {
          if (this.phase !== 'announcing') break;
          const run = this.session.execute(app, data);
          this.music = run;
          const done = await run;
          this.music = undefined;
          // Cut by a uuid_bridge (the completion names the other leg, esl-acd observation 3): the
          // caller is being bridged; starting more media now would play over the agent.
          if (done.get('Other-Leg-Unique-ID') !== undefined || done.get('Application-Response') === 'PLAYBACK ERROR') {
            this.bridged();
            return;
          }
        }
      } finally {
        // Done, or a step failed after the music stopped: a caller still waiting hears its music again.
        if (this.phase === 'announcing') {
          this.phase = 'waiting';
          this.startMusic();
        }
      }
      if (this.phase !== 'waiting') return;
    }
    this.schedule();
  }

  private onEvent(event: EslEvent): void {
    if (event.uuid !== this.uuid) return;
    switch (event.name) {
      case 'CHANNEL_BRIDGE':
        this.bridged();
        return;
      case 'CHANNEL_EXECUTE_COMPLETE':
        // uuid_bridge ends the socket app (esl-acd observation 3): the agent side has the caller.
        if (event.get('Application') === 'socket') this.bridged();
        return;
      case 'CHANNEL_HANGUP':
        void this.onGone();
        return;
      case 'DTMF': {
        const digit = event.get('DTMF-Digit');
        if (digit !== undefined) void this.onDigit(digit).catch((error: unknown) => this.log.error({ err: error }, 'acd caller: exit key failed'));
        return;
      }
      default:
    }
  }

  private async onDigit(digit: string): Promise<void> {
    const callback = this.queue?.callback;
    if (this.waiting && callback?.enabled === true && callback.key === digit) {
      await this.takeCallback(callback.prompt);
      return;
    }
    if (!this.waiting || this.queue?.exitKeys[digit] === undefined) return;
    this.phase = 'exiting';
    clearTimeout(this.timer);
    const left = await this.deps.engine.callerLeft(this.uuid, 'exit-key', digit);
    for (const cancel of left.cancelled) await this.deps.legs.cancel(cancel);
    if (!left.found) {
      // Bridged meanwhile (or already gone): the key came too late.
      this.log.info({ digit }, 'acd caller: exit key after the caller left the queue; ignored');
      return;
    }
    this.log.info({ digit }, 'acd caller: exit key');
    await this.performExit(left.exit ?? this.queue.exitKeys[digit]);
  }

  /**
   * The callback key: the entry becomes a callback to the caller id number (same place,
   * same priority), the caller hears the queue's callback prompt and is hung up. A caller
   * without a usable number, or whose entry is no longer waiting, keeps waiting with its music.
   */
  private async takeCallback(prompt: string | null | undefined): Promise<void> {
    const number = this.session.callerNumber ?? '';
    if (!/^[0-9*#+]{1,32}$/.test(number)) {
      this.log.info({ number: number.slice(0, 40) }, 'acd caller: callback key, but the caller id number cannot be called back; the caller keeps waiting');
      return;
    }
    this.phase = 'exiting';
    clearTimeout(this.timer);
    let taken: Awaited<ReturnType<AcdApi['requestCallback']>>;
    try {
      taken = await this.deps.engine.requestCallback(this.uuid, number);
    } catch (error) {
      this.log.error({ err: error }, 'acd caller: callback request failed; the caller keeps waiting');
      taken = { ok: false, entryId: null, position: null, cancelled: [] };
    }
    for (const cancel of taken.cancelled) await this.deps.legs.cancel(cancel);
    if (!taken.ok) {
      if ((this.phase as string) === 'exiting') {
        this.phase = 'waiting';
        this.schedule();
      }
      return;
    }
    this.log.info({ entry: taken.entryId, position: taken.position, number }, 'acd caller: callback taken; the entry keeps its place');
    try {
      await this.breakMedia();
      if (typeof prompt === 'string') {
        this.deps.policy.media(prompt, 'acd callback prompt');
        await this.session.execute('playback', prompt);
      }
    } catch (error) {
      this.log.warn({ err: error }, 'acd caller: callback prompt failed; hanging up');
    }
    try {
      await this.session.hangup('NORMAL_CLEARING');
    } catch {
      // Already gone.
    }
    this.end('exited');
  }

  /** Runs an exit; when it cannot (bad config, refused by the policy) the caller goes back to the dialplan, never left in silence. */
  private async performExit(exit: ExitDescriptor, priority?: number, skills?: Record<string, number>): Promise<void> {
    try {
      await this.runExit(exit, priority, skills);
    } catch (error) {
      if (this.ended() || this.outcome !== undefined) return;
      this.log.error({ err: error, exit }, `acd caller: exit failed (${(error as Error).message}); the dialplan goes on`);
      await this.letGo();
      this.end('failed');
    }
  }

  private async runExit(exit: ExitDescriptor, priority?: number, skills?: Record<string, number>): Promise<void> {
    this.phase = 'exiting';
    clearTimeout(this.timer);
    await this.breakMedia();
    if (exit.type === 'queue') {
      await this.join(exit.queue, priority, skills);
      return;
    }
    if (exit.type === 'hangup') {
      if (exit.prompt !== undefined) {
        this.deps.policy.media(exit.prompt, 'acd exit prompt');
        await this.session.execute('playback', exit.prompt);
      }
      await this.session.hangup('NORMAL_CLEARING');
      this.end('exited');
      return;
    }
    const target = exit.type === 'number' ? exit.number : exit.group;
    const context = (exit.type === 'number' ? exit.context : undefined) ?? this.deps.exitContext ?? this.session.context ?? 'default';
    const data = `${target} XML ${context}`;
    this.deps.policy.application('transfer', data, ACD_SCOPE, 'acd exit transfer');
    // resume first: the transfer ends the socket app, and the channel must not depend on this socket afterwards.
    await this.session.command('resume');
    await this.session.execute('transfer', data);
    this.end('exited');
    void this.session.close();
  }

  private bridged(): void {
    if (this.phase === 'bridged' || this.phase === 'gone') return;
    this.phase = 'bridged';
    this.music = undefined;
    clearTimeout(this.timer);
    this.log.info('acd caller: bridged to an agent');
    this.end('bridged');
  }

  private async onGone(): Promise<void> {
    const before = this.phase;
    if (before === 'gone') return;
    this.phase = 'gone';
    clearTimeout(this.timer);
    if (before === 'bridged' || this.outcome !== undefined) return;
    if (before === 'starting' && this.queue === undefined) {
      this.end('abandoned');
      return;
    }
    await this.leave();
    this.end('abandoned');
  }

  /** The caller hung up while queued: the engine hears it, ringing agent legs are killed. */
  private async leave(): Promise<void> {
    try {
      const left = await this.deps.engine.callerLeft(this.uuid, 'abandon');
      for (const cancel of left.cancelled) await this.deps.legs.cancel(cancel);
      await this.deps.legs.callerGone(this.uuid);
    } catch (error) {
      this.log.error({ err: error }, 'acd caller: callerLeft failed (the reaper settles it)');
    }
  }

  private detach(reason: string): void {
    if (this.phase === 'gone' || this.phase === 'bridged') return;
    clearTimeout(this.timer);
    this.log.warn({ reason, phase: this.phase }, 'acd caller: the outbound socket closed while the caller is in FreeSWITCH; the queue entry stays for any instance');
    this.end('detached');
  }

  /** Lets FreeSWITCH go on with the dialplan (resume, then close the socket). */
  private async letGo(): Promise<void> {
    clearTimeout(this.timer);
    try {
      if (!this.session.hungUp) await this.session.command('resume');
    } catch {
      // The channel is gone: nothing to let go.
    }
    void this.session.close();
  }

  private end(outcome: QueueCallerOutcome): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    this.finish(outcome);
  }
}
