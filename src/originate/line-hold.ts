/**
 * What happens to the line slots of an originate once FreeSWITCH said how it went:
 * `-ERR <cause>` gives them back at once (with that cause); `+OK <uuid>` means the call
 * is up: the slots stay held (the resolver renews them) while `uuid_exists <uuid>` says
 * the call lives, and are given back when it is gone (the line leg's hangup event
 * usually gave them back first, through the lease reaper; releasing twice is harmless).
 * A job that never reports (timeout, lost connection) gives them back at once too.
 */
import type { EslCommander } from '../esl/types.js';

export type ReleaseLines = (cause: string) => Promise<void>;

export interface LineHoldOptions {
  /** How often `uuid_exists` is asked while the call is up, ms (default 10 s). */
  probeEveryMs?: number;
  /** Failed probes in a row (node down) after which the slots are given back (default 6). */
  maxProbeFailures?: number;
  /** Told when the job never reported (its slots were given back). */
  onJobFailed?: (error: unknown) => void;
}

/** An in-band FreeSWITCH error text (`-ERR ...`, `-USAGE: ...`). */
export function isFsError(text: string): boolean {
  return text.startsWith('-ERR') || text.startsWith('-USAGE');
}

/** The hangup cause an originate's `-ERR <CAUSE>` names (NORMAL_TEMPORARY_FAILURE when none). */
export function failureCause(text: string): string {
  return /^-ERR\s+([A-Z_]+)/.exec(text)?.[1] ?? 'NORMAL_TEMPORARY_FAILURE';
}

/** Settles the slots after the originate answered `text` (see the file comment). */
export async function settleLines(node: Pick<EslCommander, 'api'>, text: string, release: ReleaseLines, options: LineHoldOptions = {}): Promise<void> {
  if (isFsError(text)) return release(failureCause(text));
  const uuid = /^\+OK\s+([0-9A-Za-z-]{8,64})/.exec(text)?.[1];
  if (uuid === undefined) return release('NORMAL_CLEARING');
  releaseWhenGone(node, uuid, release, options);
}

/** Settles the slots once `outcome` (a job's wait) says how the originate went. Never rejects. */
export function settleLinesOfJob(node: Pick<EslCommander, 'api'>, outcome: Promise<string>, release: ReleaseLines, options: LineHoldOptions = {}): void {
  outcome
    .then(
      (text) => settleLines(node, text, release, options),
      async (error: unknown) => {
        options.onJobFailed?.(error);
        await release('ORIGINATOR_CANCEL');
      },
    )
    .catch(() => undefined); // a failed release: the slots expire within leaseTtlMs (no renewal after release)
}

/** Polls `uuid_exists <uuid>`; gives the slots back when the call is gone. */
export function releaseWhenGone(node: Pick<EslCommander, 'api'>, uuid: string, release: ReleaseLines, options: LineHoldOptions = {}): void {
  const every = options.probeEveryMs ?? 10_000;
  const maxFailures = options.maxProbeFailures ?? 6;
  let failures = 0;
  const probe = async (): Promise<void> => {
    let gone: boolean;
    try {
      gone = (await node.api('uuid_exists', uuid)).trim() !== 'true';
      failures = 0;
    } catch {
      failures += 1;
      gone = failures >= maxFailures;
    }
    if (gone) {
      await release('NORMAL_CLEARING').catch(() => undefined);
      return;
    }
    setTimeout(() => void probe(), every).unref();
  };
  setTimeout(() => void probe(), every).unref();
}
