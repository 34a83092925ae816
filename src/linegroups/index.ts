/** Line groups: `linegroup/<group>/<number>` dial strings on gateways with limits (docs/linegroups.md). */
export { classify, resultFromEvent, verdictOfCause, type AttemptResult, type Classification, type Verdict } from './classify.js';
export { parseLinegroupDialString, type LinegroupTarget } from './dial-string.js';
export { dialWithFailover, type AttemptRecord, type DialAttempt, type FailoverOutcome } from './failover.js';
export { attachLeaseReaper } from './lease-reaper.js';
export { LinegroupResolver, NO_LINE_CAUSE, type LineLease, type ResolveContext, type ResolvedDial } from './resolver.js';
export { linegroupRoutes } from './routes.js';
export { linegroupSchema, type Linegroup, type LinegroupInput } from './schema.js';
