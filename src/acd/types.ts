/**
 * The public contract of the ACD engine (docs/acd.md). Everything here is stable: the
 * call half (src/acd/calls, FreeSWITCH side), routing replies, the nacd callflow and the
 * REST API all use `AcdApi`. Extend, don't break.
 *
 * Times are milliseconds since the epoch from the engine's injected clock (`AcdClock`):
 * every Lua script gets `now` as an argument, so tests control time and two instances
 * agree as far as their clocks do (run NTP; a skew only shifts timers by the skew).
 */

/** What a caller leaves the queue to, when a limit or an exit key says so. */
export type ExitDescriptor =
  /** Into another queue (keeps caller id and priority; wait restarts). */
  | { type: 'queue'; queue: string }
  /** Transfer to a number through the dialplan (`transfer <number> XML <context>`). */
  | { type: 'number'; number: string; context?: string }
  /** Hand over to a callflow / line group by name. */
  | { type: 'group'; group: string }
  /** Play a prompt (sound file) and hang up. */
  | { type: 'hangup'; prompt?: string };

export const STRATEGIES = [
  'ring-all',
  'longest-idle-agent',
  'round-robin',
  'top-down',
  'agent-with-fewest-calls',
  'agent-with-least-talk-time',
  'random',
  'ring-progressively',
  'skills',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** A queue's settings (stored as JSON in `{freecti:acd}:queues`). */
export interface QueueConfig {
  name: string;
  strategy: Strategy;
  /** Seconds an agent's phone rings before the offer is a no-answer. */
  offerTimeoutSec: number;
  /** ring-progressively: seconds between adding one more ringing agent. */
  ringProgressivelyDelaySec: number;
  /** Tiers: level L > lowest level is tried once the caller waited `tierWaitSec` (× (L − lowest) when `tierWaitMultiplyLevel`); 0 = all levels at once, lowest first. */
  tierWaitSec: number;
  tierWaitMultiplyLevel: boolean;
  /** 0 = no limit. Exit reason `timeout`. */
  maxWaitSec: number;
  /** Seconds a caller may wait while no agent of the queue is logged in; 0 = exit at once (join-empty). null = no limit. Exit reason `empty`. */
  maxWaitNoAgentSec: number | null;
  /** Waiting callers allowed; 0 = no limit. A caller over it is refused with reason `full`. */
  maxLength: number;
  /** Where timeout / empty / full callers go. */
  exit: ExitDescriptor;
  /** DTMF digit → exit. */
  exitKeys: Record<string, ExitDescriptor>;
  /** Music on hold for the call half (e.g. `local_stream://moh`). */
  moh: string;
  announcements: {
    /** Sound played every `periodicSec` while waiting (null = none). */
    periodic: string | null;
    periodicSec: number;
    /** Announce the position every `positionSec` (0 = never). */
    positionSec: number;
    /** Announce the estimated wait with the position. */
    estimatedWait: boolean;
  };
  /** A caller (same caller id number) who hangs up and calls back within this many seconds keeps the place; 0 = off. */
  abandonResumeSec: number;
  /** Callback option (docs/acd.md "Callback"): the caller presses `key`, hangs up and keeps the place; the entry is offered like any other and the customer is called back when an agent answers. */
  callback: CallbackSettings;
  /** Waits shorter than this, abandoned, are short abandons (not counted against the service level). */
  shortAbandonSec: number;
  /** Service-level threshold: answered within this many seconds. */
  serviceLevelSec: number;
  /** Per-queue recording path template for the call half (null = no recording). */
  recordTemplate: string | null;
}

/** How the customer's number of a callback is dialled. */
export type CallbackVia = { type: 'user'; domain?: string } | { type: 'gateway'; gateway: string } | { type: 'linegroup'; group: string };

export interface CallbackSettings {
  enabled: boolean;
  key: string | null;
  /** Played after the key, before the hangup (null = none). */
  prompt: string | null;
  /** Seconds from the request after which an entry not connected leaves (`EXITCALLBACK`, reason `max-age`). */
  maxAgeSec: number;
  /** Unanswered calls to the customer allowed after the first; then the entry leaves (reason `no-answer`). */
  retries: number;
  retryDelaySec: number;
  /** originate_timeout of the customer leg. */
  ringSec: number;
  via: CallbackVia;
}

/** How an agent is reached. */
export type AgentContact =
  /** A registered extension (`user/<extension>@<domain>`): offered only while registered. */
  | { type: 'extension'; extension: string; domain?: string }
  /** A dial string as given (checked by the policy when originated). */
  | { type: 'dial'; dialString: string }
  /** A number through a line group. */
  | { type: 'linegroup'; group: string; number: string };

export interface AgentConfig {
  id: string;
  name: string;
  contact: AgentContact;
  /** skill name → level (1..100). */
  skills: Record<string, number>;
  /** Seconds of wrap-up after each call (0 = available at once). */
  wrapUpSec: number;
  /** No-answers in a row that put the agent on break (reason `no-answer`); 0 = never. */
  maxNoAnswer: number;
  /** Seconds before the next offer after a no-answer, a reject and a busy. */
  noAnswerDelaySec: number;
  rejectDelaySec: number;
  busyDelaySec: number;
}

export const AGENT_STATES = ['logged-out', 'available', 'on-break', 'reserved', 'in-call', 'wrap-up'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/** An agent's tier in one queue: lower level first; within a level lower position first. */
export interface Tier {
  queue: string;
  agent: string;
  level: number;
  position: number;
}

export interface AgentStatus {
  id: string;
  state: AgentState;
  /** on-break reason code. */
  reason: string | null;
  /** Since when (ms) in this state. */
  since: number;
  /** Not offered before this time (wrap-up end, reject/busy/no-answer delay). */
  readyAt: number;
  /** Since when (ms) the agent is idle (ended its last call or became available). */
  idleSince: number;
  /** Answered calls (today's counter is in the statistics). */
  calls: number;
  talkMs: number;
  noAnswers: number;
  /** The offer the agent holds (reserved) or the call (in-call). */
  offerId: string | null;
  callUuid: string | null;
}

export interface EnqueueRequest {
  queue: string;
  /** The caller's channel uuid on FreeSWITCH. */
  callUuid: string;
  /** The FreeSWITCH node (pool name) the caller is on. */
  node: string;
  callerIdNumber: string;
  callerIdName: string;
  /** Higher first; 0..100, default 0. */
  priority?: number;
  /** Required skills: name → minimum level (strategy `skills`, and a filter in every strategy). */
  skills?: Record<string, number>;
}

export type EnqueueResult =
  | { status: 'queued'; entryId: string; position: number; resumed: boolean }
  /** Not queued: the caller goes to `exit` (reason `full` or `empty`). */
  | { status: 'exit'; reason: 'full' | 'empty'; exit: ExitDescriptor };

/** What the engine asks the call half to do: ring this agent for this caller. */
export interface Offer {
  offerId: string;
  /** Fencing token: pass it back with offerAnswered / offerFailed; a stale one is refused. */
  fencingToken: number;
  queue: string;
  entryId: string;
  /** The caller's channel and node. */
  callUuid: string;
  node: string;
  callerIdNumber: string;
  callerIdName: string;
  agent: string;
  contact: AgentContact;
  /** originate_timeout for the agent leg. */
  timeoutSec: number;
  /** The offer's lease ends here (timeout + grace); after it the engine times the offer out itself. */
  expiresAt: number;
  recordTemplate: string | null;
  /**
   * Set for a callback entry (no live caller): `callUuid` is the uuid the customer leg gets
   * (`origination_uuid`); the call half rings the agent, then dials `number` via `via`.
   */
  callback?: { number: string; attempt: number; via: CallbackVia; ringSec: number };
}

/** An offer withdrawn by the engine (the caller left, another agent of a ring-all answered, the lease ran out): kill the agent leg. */
export interface OfferCancel {
  offerId: string;
  agent: string;
  callUuid: string;
  reason: 'caller-left' | 'answered-elsewhere' | 'timeout' | 'reaped';
}

/** A caller that must leave the queue now (max wait, no agent). */
export interface CallerExit {
  entryId: string;
  queue: string;
  callUuid: string;
  node: string;
  reason: 'timeout' | 'empty';
  exit: ExitDescriptor;
}

export type OfferFailReason = 'no-answer' | 'reject' | 'busy' | 'error';
export type LeaveReason = 'abandon' | 'exit-key' | 'timeout' | 'empty' | 'transfer' | 'callback' | 'reaped';

export interface WaitingCaller {
  entryId: string;
  queue: string;
  callUuid: string;
  node: string;
  callerIdNumber: string;
  callerIdName: string;
  priority: number;
  joinedAt: number;
  state: 'waiting' | 'offered' | 'connected';
  position: number | null;
  agent: string | null;
  /** A callback entry: the number called back. */
  callbackNumber?: string;
}

/** One line of the queue log (Redis stream `{freecti:acd}:log`, docs/acd.md "Queue log"). */
export interface AcdEvent {
  /** Stream id (`<ms>-<seq>`). */
  id: string;
  /** queue_log-style verb: ENTERQUEUE, CONNECT, ABANDON, RINGNOANSWER, ... */
  event: string;
  time: number;
  queue: string;
  callUuid: string;
  agent: string;
  data: Record<string, string>;
}

export interface AcdClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The typed API every user of the ACD goes through. */
export interface AcdApi {
  /** Puts a caller in a queue (or says where it must go instead); dispatches at once. */
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;
  /** The caller's call has answered an offer: the agent leg is up. False when the token is stale (kill the agent leg). */
  offerAnswered(offerId: string, fencingToken: number, agentLegUuid: string, agentNode?: string): Promise<{ ok: boolean; cancelled: OfferCancel[] }>;
  /** The agent leg failed; the agent gets its delay / no-answer count and the caller goes to the next agent. */
  offerFailed(offerId: string, fencingToken: number, reason: OfferFailReason): Promise<boolean>;
  /** The caller left the queue (hung up, exit key, transfer...). Returns the offers to kill, and the exit for an exit key. */
  callerLeft(callUuid: string, reason: LeaveReason, digit?: string): Promise<{ found: boolean; cancelled: OfferCancel[]; exit: ExitDescriptor | null }>;
  /**
   * The waiting caller asked to be called back at `number`: the entry keeps its place and
   * priority but is no longer tied to the channel (its hangup and the reaper leave it alone).
   * `ok` false when the caller is not waiting (connected, gone) or the queue has no callback.
   */
  requestCallback(callUuid: string, number: string): Promise<{ ok: boolean; entryId: string | null; position: number | null; cancelled: OfferCancel[] }>;
  /**
   * The customer leg of a connected callback (`customerUuid` = the offer's callUuid) was not
   * answered: the agent is freed without penalty and the entry waits again in its place after
   * `retryDelaySec` (or leaves once retries or the max age are spent). True when the entry left.
   */
  callbackFailed(customerUuid: string, reason: string): Promise<{ found: boolean; dropped: boolean }>;
  /** The bridged call ended (either leg's uuid); `by` = who hung up. The agent goes to wrap-up. */
  callEnded(callUuid: string, by: 'caller' | 'agent'): Promise<boolean>;
  /** Given every live channel uuid of a node (`show channels`), releases agents and callers whose call is gone. */
  reconcileNode(node: string, liveUuids: ReadonlySet<string>, listedAt?: number): Promise<{ callers: number; agents: number; cancelled: OfferCancel[] }>;
  /** Position (1-based) of a waiting caller, null when not waiting. */
  position(callUuid: string): Promise<number | null>;
  /** Estimated wait in seconds for a new caller at `position` (docs/acd.md "Estimated wait"). */
  estimateWait(queue: string, position: number): Promise<number>;
  setAgentState(agent: string, state: 'logged-out' | 'available' | 'on-break', reason?: string): Promise<AgentStatus>;
  /** A queue's settings (moh, announcements, exit keys, recording), null when unknown. */
  getQueue(name: string): Promise<QueueConfig | null>;
  onOffer(handler: (offer: Offer) => void): () => void;
  onCancel(handler: (cancel: OfferCancel) => void): () => void;
  onExit(handler: (exit: CallerExit) => void): () => void;
  /** Every queue-log event this instance wrote (the WebSocket stream tails the Redis stream instead). */
  onEvent(handler: (event: AcdEvent) => void): () => void;
}
