/**
 * Notices a hung FreeSWITCH on a ready connection: a command unanswered for more than
 * twice its timeout (FreeSWITCH answers in order, so everything behind it is stuck too),
 * or, when the connection has been silent for `heartbeatIntervalMs`, an `api status`
 * probe that gets no answer within the command timeout. Reports through `onDead`; the
 * owner tears the connection down and reconnects.
 */
import { isFreectiError } from '../errors.js';
import type { EslConnection } from './connection.js';

export interface LivenessOptions {
  commandTimeoutMs: number;
  /** 0 or absent: no probe. */
  heartbeatIntervalMs?: number;
  onDead(connection: EslConnection, reason: string): void;
}

export class Liveness {
  private timer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(private readonly options: LivenessOptions) {}

  watch(connection: EslConnection): void {
    this.stop();
    const period = Math.min(1000, Math.max(20, Math.floor(this.options.commandTimeoutMs / 4)));
    this.timer = setInterval(() => this.check(connection), period);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(connection: EslConnection): void {
    if (!connection.isOpen) return this.stop();
    if (connection.overdue()) {
      this.stop();
      this.options.onDead(connection, 'FreeSWITCH stopped answering: a command waited more than twice its timeout');
      return;
    }
    const idleMs = this.options.heartbeatIntervalMs ?? 0;
    if (idleMs <= 0 || this.probing || connection.inFlight > 0 || Date.now() - connection.lastReceivedAt < idleMs) return;
    this.probing = true;
    const timeoutMs = this.options.commandTimeoutMs;
    connection
      .api('status', '', { timeoutMs })
      .catch((error: unknown) => {
        if (connection.isOpen && isFreectiError(error, 'ESL_TIMEOUT')) {
          this.stop();
          this.options.onDead(connection, `heartbeat: no answer to 'api status' within ${timeoutMs} ms`);
        }
      })
      .finally(() => {
        this.probing = false;
      });
  }
}
