/**
 * The one error registry. Every error freecti reports has a stable code
 * (`FREECTI_ERR_<KEY>`), a default message and an HTTP status. docs/errors.md lists them.
 */
export const errorRegistry = {
  // Configuration
  CONFIG_INVALID: { status: 500, message: 'invalid configuration' },
  // HTTP input and access
  BAD_REQUEST: { status: 400, message: 'bad request' },
  UNAUTHORIZED: { status: 401, message: 'missing or wrong API key' },
  FORBIDDEN: { status: 403, message: 'not allowed for this key' },
  NOT_FOUND: { status: 404, message: 'not found' },
  RATE_LIMITED: { status: 429, message: 'too many requests' },
  INTERNAL: { status: 500, message: 'internal error' },
  // Dependencies
  REDIS_UNAVAILABLE: { status: 503, message: 'Redis is not reachable' },
  // Event socket
  ESL_INVALID_COMMAND: { status: 400, message: 'invalid event-socket command' },
  ESL_NOT_CONNECTED: { status: 503, message: 'FreeSWITCH node is not connected' },
  ESL_DISCONNECTED: { status: 503, message: 'FreeSWITCH connection lost before the reply' },
  ESL_AUTH_FAILED: { status: 503, message: 'FreeSWITCH rejected the event-socket password' },
  ESL_TIMEOUT: { status: 504, message: 'FreeSWITCH did not answer in time' },
  ESL_ABORTED: { status: 499, message: 'command aborted by the caller' },
  ESL_COMMAND_FAILED: { status: 502, message: 'FreeSWITCH answered with an error' },
  ESL_CLOSED: { status: 503, message: 'event-socket client is closed' },
  NODE_UNKNOWN: { status: 404, message: 'no FreeSWITCH node with that name' },
  // Webhooks (business applications)
  WEBHOOK_UNREACHABLE: { status: 502, message: 'webhook application unreachable' },
  WEBHOOK_TIMEOUT: { status: 504, message: 'webhook application did not answer in time' },
  WEBHOOK_BAD_STATUS: { status: 502, message: 'webhook application answered with a non-2xx status' },
  WEBHOOK_BAD_REPLY: { status: 502, message: 'webhook application reply is not valid' },
  // Extension admin API
  ADMIN_DISABLED: { status: 503, message: 'admin API disabled: no admin.keys configured' },
  // Line groups (docs/linegroups.md)
  LINEGROUP_NOT_FOUND: { status: 404, message: 'no line group with that name' },
  LINEGROUP_NO_LINE: { status: 503, message: 'no line of the group can take the call now' },
  LINEGROUP_DIAL_STRING: { status: 400, message: 'not a valid linegroup/<group>/<number> dial string' },
  LINEGROUP_CONFLICT: { status: 409, message: 'the line group kept changing while it was updated; try again' },
  // HTTP bridge (docs/bridge.md)
  BRIDGE_BAD_ARGS: { status: 400, message: 'cti_bridge arguments are not valid' },
  BRIDGE_BAD_REPLY: { status: 502, message: 'cti_bridge application reply is not valid' },
  // HTTP CLI and call control (docs/cli.md, docs/call-control.md)
  CLI_DISABLED: { status: 503, message: 'HTTP CLI disabled: no cli.key or cli.keys configured' },
  CLI_COMMAND_FORBIDDEN: { status: 403, message: 'this key may not run that command' },
  CLI_SOURCE_FORBIDDEN: { status: 403, message: 'this key may not be used from this address' },
  CALL_NOT_FOUND: { status: 404, message: 'no such call' },
  CONFERENCE_NOT_FOUND: { status: 404, message: 'no such conference or member' },
  CALL_CONTROL_FAILED: { status: 502, message: 'FreeSWITCH refused the call-control command' },
  // ACD (docs/acd.md)
  ACD_QUEUE_NOT_FOUND: { status: 404, message: 'no ACD queue with that name' },
  ACD_AGENT_NOT_FOUND: { status: 404, message: 'no ACD agent with that id' },
  ACD_CALL_NOT_FOUND: { status: 404, message: 'no ACD caller or call with that uuid' },
  ACD_STALE_OFFER: { status: 409, message: 'the offer is gone or its fencing token is stale' },
  ACD_IN_USE: { status: 409, message: 'in use: log the agent out / empty the queue first' },
  // nacd HTTP callflow (docs/nacd.md)
  NACD_GROUP_NOT_FOUND: { status: 404, message: 'no nacd group with that number' },
  CALLOUT_NOT_RUNNING: { status: 409, message: 'the callout campaign has ended or is being stopped' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorKey = keyof typeof errorRegistry;
export type ErrorCode = `FREECTI_ERR_${ErrorKey}`;

export class FreectiError extends Error {
  readonly key: ErrorKey;
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(key: ErrorKey, message?: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    const entry = errorRegistry[key];
    super(message ?? entry.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FreectiError';
    this.key = key;
    this.code = `FREECTI_ERR_${key}`;
    this.status = entry.status;
    this.details = options.details;
  }

  /** The JSON body every HTTP error response carries. */
  toJSON(): { error: { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> } } {
    return {
      error: this.details === undefined
        ? { code: this.code, message: this.message }
        : { code: this.code, message: this.message, details: this.details },
    };
  }
}

export function isFreectiError(error: unknown, key?: ErrorKey): error is FreectiError {
  return error instanceof FreectiError && (key === undefined || error.key === key);
}
