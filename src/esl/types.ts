/**
 * The contract between the ESL layer and the rest of freecti. Features (directory,
 * routing, CLI, ACD) depend on these interfaces only, never on sockets.
 */
import type { EventEmitter } from 'node:events';
import type { ExecuteOptions } from './encoder.js';
import type { EslEvent } from './event.js';

/** Every ESL command takes a timeout and an AbortSignal. */
export interface CommandOptions {
  /** Milliseconds to wait for the reply; default: config freeswitch.commandTimeoutMs. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Options of `execute`: the reply timeout/signal, sendmsg flags, and how long the app may run. */
export interface ExecuteCommandOptions extends CommandOptions, ExecuteOptions {
  /** Milliseconds the application may run before the wait fails with ESL_TIMEOUT (default: no limit). */
  completionTimeoutMs?: number;
}

/** A `command/reply` frame's meaning. */
export interface CommandReply {
  replyText: string;
  headers: Readonly<Record<string, string>>;
}

/** A background job started by `bgapi`. */
export interface BackgroundJob {
  jobUuid: string;
  /**
   * The command's output (the BACKGROUND_JOB body), exactly as FreeSWITCH wrote it.
   * Rejects with ESL_TIMEOUT / ESL_DISCONNECTED / ESL_ABORTED; never left unhandled
   * when nobody waits.
   */
  wait(options?: CommandOptions): Promise<string>;
}

export type NodeState =
  | 'connecting' // TCP connect in progress
  | 'authenticating' // connected, auth sent
  | 'ready' // authenticated and subscribed
  | 'disconnected' // waiting to reconnect (backoff)
  | 'auth-failed' // password refused; retried with backoff
  | 'closed'; // close() called, never reconnects

export interface NodeStatus {
  name: string;
  host: string;
  port: number;
  state: NodeState;
  /** Last connection error, for /health. */
  lastError: string | undefined;
  /** When the current state began (ms since epoch). */
  since: number;
  reconnects: number;
  /** Commands sent and not yet answered. */
  inFlight: number;
}

/** Commands every ESL peer (inbound client, outbound session) offers. */
export interface EslCommander {
  /** `api <command> [args]`: resolves with the api/response body exactly (in-band `-ERR` included). */
  api(command: string, args?: string, options?: CommandOptions): Promise<string>;
  /** `bgapi <command> [args]`: resolves once FreeSWITCH accepted the job. */
  bgapi(command: string, args?: string, options?: CommandOptions & { jobUuid?: string }): Promise<BackgroundJob>;
  /**
   * `sendmsg` execute of a dialplan application on a channel; resolves with the
   * CHANNEL_EXECUTE_COMPLETE event (Application-UUID = our Event-UUID).
   * Needs CHANNEL_EXECUTE_COMPLETE events on the connection (the client subscribes them).
   */
  execute(uuid: string, app: string, arg?: string, options?: ExecuteCommandOptions): Promise<EslEvent>;
  /** `sendmsg` hangup. Resolves on FreeSWITCH's `+OK`. */
  hangup(uuid: string, cause?: string, options?: CommandOptions): Promise<void>;
  /** Any other command line (`event`, `filter`, `myevents`, `linger`, ...). Resolves with the reply. */
  command(line: string, headers?: Readonly<Record<string, string>>, options?: CommandOptions): Promise<CommandReply>;
}

export interface EslClientEvents {
  /** Every event from this node (after the subscriptions). */
  event: [event: EslEvent];
  /** State changes (for logs, /health and metrics). */
  state: [state: NodeState, status: NodeStatus];
  /** Authenticated and re-subscribed after a (re)connect. */
  ready: [];
}

/** One FreeSWITCH node reached by an inbound event-socket connection. */
export interface FsNode extends EslCommander, EventEmitter<EslClientEvents> {
  readonly name: string;
  readonly status: NodeStatus;
  /** Adds events to the subscription (kept and re-sent after every reconnect). */
  subscribe(events: readonly string[]): Promise<void>;
  /** Adds an event filter (kept and re-sent after every reconnect). */
  addFilter(header: string, value: string): Promise<void>;
  close(): Promise<void>;
}

/** All configured FreeSWITCH nodes (one inbound connection each). */
export interface FsPool {
  /** Every node, in configuration order. */
  readonly nodes: readonly FsNode[];
  /** The named node, or the first `ready` one when no name is given. Throws NODE_UNKNOWN / ESL_NOT_CONNECTED. */
  get(name?: string): FsNode;
  statuses(): NodeStatus[];
  close(): Promise<void>;
}
