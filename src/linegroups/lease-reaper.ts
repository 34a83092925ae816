/**
 * Gives line slots back when FreeSWITCH ends the leg that used them, for calls freecti
 * does not drive itself to the end (e.g. the CLI's `cti_originate`, a routing reply's
 * `bridge`). Every leg dialed on a line carries `freecti_linegroup`, `freecti_line` and
 * `freecti_lease` (dial-string.ts); its CHANNEL_HANGUP_COMPLETE releases the lease and
 * records the outcome. Releasing is idempotent (lua/linegroup-release-2.lua), so the
 * bridge that also releases, or several instances seeing the same event, are harmless.
 *
 * It also sweeps (every `sweepEveryMs`, 60 s by default): slots whose holder stopped
 * renewing them (a crashed instance, see resolver.ts) are removed from every line.
 */
import type { EslEvent } from '../esl/event.js';
import type { FsPool } from '../esl/types.js';
import type { Logger } from '../logger.js';
import { resultFromEvent } from './classify.js';
import { linegroupSchema } from './schema.js';
import type { LineLease, LinegroupResolver } from './resolver.js';

const DEFAULTS = linegroupSchema.parse({ lines: [{ id: 'x', gateway: 'x' }] });

/** The lease a leg's event names, or undefined when the leg used no line. */
export async function leaseOfEvent(resolver: LinegroupResolver, event: EslEvent): Promise<LineLease | undefined> {
  const id = event.variable('freecti_lease');
  const group = event.variable('freecti_linegroup');
  const line = event.variable('freecti_line');
  if (id === undefined || group === undefined || line === undefined) return undefined;
  let settings = DEFAULTS;
  try {
    settings = await resolver.store.get(group);
  } catch {
    // Deleted or unreadable group: release with the default settings.
  }
  return {
    id,
    group,
    line,
    gateway: settings.lines.find((l) => l.id === line)?.gateway ?? '',
    number: event.get('Caller-Destination-Number') ?? '',
    takenAt: 0,
    ttlMs: settings.leaseTtlMs,
    maxAttempts: settings.maxAttempts,
    quarantine: { ...settings.quarantine },
  };
}

/**
 * Subscribes every node to CHANNEL_HANGUP_COMPLETE and releases the leases named by
 * those events; sweeps expired slots every `sweepEveryMs`. Returns a function that stops both.
 */
export function attachLeaseReaper(pool: FsPool, resolver: LinegroupResolver, logger: Logger, options: { sweepEveryMs?: number } = {}): () => void {
  const log = logger.child({ component: 'linegroups' });
  const sweep = setInterval(() => {
    resolver
      .reapExpired()
      .then((reclaimed) => {
        if (reclaimed > 0) log.info({ reclaimed }, 'reclaimed line slots nobody renewed (a crashed or stopped instance held them)');
      })
      .catch((error: unknown) => log.debug({ err: (error as Error).message }, 'line slot sweep failed; the next one retries'));
  }, options.sweepEveryMs ?? 60_000);
  sweep.unref();
  const onEvent = (event: EslEvent): void => {
    if (event.name !== 'CHANNEL_HANGUP_COMPLETE' || event.variable('freecti_lease') === undefined) return;
    void (async () => {
      const lease = await leaseOfEvent(resolver, event);
      if (lease === undefined) return;
      await resolver.release(lease, resultFromEvent(event), { callUuid: event.uuid ?? '' });
    })().catch((error: unknown) => {
      log.warn({ err: (error as Error).message, uuid: event.uuid }, 'cannot release the line slot of an ended leg; it frees itself after leaseTtlMs');
    });
  };
  for (const node of pool.nodes) {
    node.on('event', onEvent);
    node.subscribe(['CHANNEL_HANGUP_COMPLETE']).catch((error: unknown) => {
      log.warn({ node: node.name, err: (error as Error).message }, 'cannot subscribe CHANNEL_HANGUP_COMPLETE for line slots yet');
    });
  }
  return () => {
    clearInterval(sweep);
    for (const node of pool.nodes) node.off('event', onEvent);
  };
}
