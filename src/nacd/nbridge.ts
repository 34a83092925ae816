/**
 * nacd's `nbridge <dial string>` (seed 004: "use nbridge and noriginate, called the same
 * way" as bridge and originate; docs/nacd.md "nbridge"): bridge's dial string with the
 * DID-out of the calling extension, by the one set of DID-out rules (did-out.ts):
 *
 * - a `nout/<extension>/<number>` leg leaves through that extension's entry (its line
 *   group, with line selection and CPS / concurrency limits, or its gateway) showing its
 *   caller id, as in noriginate; an extension without an entry is BAD_REQUEST;
 * - a leg that leaves (a gateway, a line group, an external sofia address) without a
 *   caller id of its own shows the calling extension's DID-out caller id;
 * - extension legs (`user/`, internal sofia, loopback...) are dialled as written.
 *
 * Also nway_threeway's dial target (src/nacd/commands.ts), the call's extension calling.
 * What this returns is text for the policy and the bridge's or originate's line-group
 * resolution; a malformed dial string throws FsSyntaxError.
 */
import { isPlainNumber } from '../dial-string/index.js';
import { FreectiError } from '../errors.js';
import { parseDialString } from '../fs-lang/dial-string.js';
import { mayTakeDidOut, noutExtensions, withDidOutCallerId, withNoutRoutes, type DidOutLookup, type DidOutRoute } from './did-out.js';

/** `text` dialled on behalf of `extension` (the calling extension; not a plain number: none). */
export async function nbridgeDialString(text: string, extension: string, lookup: DidOutLookup): Promise<string> {
  const entries = new Map<string, DidOutRoute>();
  for (const ext of noutExtensions(parseDialString(text))) {
    const entry = await lookup(ext);
    if (entry === null) throw new FreectiError('BAD_REQUEST', `'nout/${ext}/...': extension '${ext}' has no DID-out entry (/api/v1/nacd/did/out)`);
    entries.set(ext, entry);
  }
  const routed = entries.size === 0 ? text : withNoutRoutes(text, entries);
  if (!isPlainNumber(extension) || !mayTakeDidOut(routed)) return routed;
  const own = await lookup(extension);
  return own === null ? routed : withDidOutCallerId(routed, own.callerId);
}
