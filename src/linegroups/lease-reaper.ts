/**
 * Gives line slots back when FreeSWITCH ends the leg that used them, for calls freecti
 * does not drive itself to the end (e.g. the CLI's `cti_originate`, a routing reply's
 * `bridge`). Every leg dialed on a line carries `freecti_linegroup`, `freecti_line` and
 * `freecti_lease` (dial-string.ts); its CHANNEL_HANGUP_COMPLETE releases the lease and
 * records the outcome. Releasing is idempotent (lua/linegroup-release-2.lua), so the
 * bridge that also releases, or several instances seeing the same event, are harmless.
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
    maxAttempts: settings.maxAttempts,
    quarantine: { ...settings.quarantine },
  };
}

/** Subscribes every node to CHANNEL_HANGUP_COMPLETE and releases the leases named by those events. */
export function attachLeaseReaper(pool: FsPool, resolver: LinegroupResolver, logger: Logger): () => void {
  const log = logger.child({ component: 'linegroups' });
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
    for (const node of pool.nodes) node.off('event', onEvent);
  };
}
