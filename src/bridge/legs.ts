/**
 * What the events of one outbound socket say about the A leg (the socket's channel) and
 * its B legs (uuid not A, Other-Leg-Unique-ID = A; README observation 13 and esl-control
 * observation 5). The A leg carries Other-Leg-Unique-ID = B after the bridge too, so the
 * uuid decides which leg an event is about.
 */
import type { EslEvent } from '../esl/event.js';

export class LegTracker {
  /** B legs in the order they appeared; value = their CHANNEL_HANGUP_COMPLETE once seen. */
  readonly bLegs = new Map<string, EslEvent | undefined>();
  /** The A leg's Hangup-Cause once it hung up. */
  aHangupCause: string | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(readonly aUuid: string) {}

  /** Feed every event of the socket. */
  onEvent(event: EslEvent): void {
    const uuid = event.uuid;
    if (uuid === undefined) return;
    if (uuid === this.aUuid) {
      if (event.name === 'CHANNEL_HANGUP' || event.name === 'CHANNEL_HANGUP_COMPLETE') this.aHangupCause ??= event.get('Hangup-Cause') ?? 'NORMAL_CLEARING';
      return;
    }
    if (event.get('Other-Leg-Unique-ID') !== this.aUuid) return;
    if (!this.bLegs.has(uuid)) this.bLegs.set(uuid, undefined);
    if (event.name === 'CHANNEL_HANGUP_COMPLETE') {
      this.bLegs.set(uuid, event);
      for (const wake of this.waiters) wake();
    }
  }

  /** B legs that appeared after the first `since` ones. */
  legsAfter(since: number): string[] {
    return [...this.bLegs.keys()].slice(since);
  }

  /**
   * Resolves once every B leg in `uuids` has its CHANNEL_HANGUP_COMPLETE, or after `ms`,
   * or when `ended` resolves. (After a caller's hangup the bridge completes before the B
   * leg's HANGUP_COMPLETE arrives: recorded, answered call.)
   */
  async waitForHangups(uuids: readonly string[], ms: number, ended: Promise<unknown>): Promise<void> {
    const done = (): boolean => uuids.every((u) => this.bLegs.get(u) !== undefined);
    if (done()) return;
    let wake!: () => void;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        wake = () => {
          if (done()) resolve();
        };
        this.waiters.add(wake);
        timer = setTimeout(resolve, ms);
      }),
      ended,
    ]);
    this.waiters.delete(wake);
    clearTimeout(timer);
  }
}
