/**
 * A dial string dialled on behalf of an extension, with its DID-out applied as text, by the
 * rules of did-out.ts: for an originate (nway_threeway, src/nacd/commands.ts), where the
 * bridge's plan form (src/bridge/did-out-plan.ts, which also serves nbridge) does not apply.
 *
 * - a `nout/<extension>/<number>` leg leaves through that extension's entry (its line
 *   group or gateway) showing its caller id; an extension without an entry is BAD_REQUEST;
 * - a leg that leaves (a gateway, a line group, an external sofia address) without a caller
 *   id of its own shows `extension`'s DID-out caller id;
 * - extension legs (`user/`, internal sofia, loopback...) are left as written.
 *
 * What it returns is text for the policy and the originate's line-group resolution; a
 * malformed dial string throws FsSyntaxError.
 */
import { isPlainNumber } from '../dial-string/index.js';
import { FreectiError } from '../errors.js';
import { parseDialString } from '../fs-lang/dial-string.js';
import { mayTakeDidOut, noutExtensions, withDidOutCallerId, withNoutRoutes, type DidOutLookup, type DidOutRoute } from './did-out.js';

/** `text` dialled on behalf of `extension` (the calling extension; not a plain number: none). */
export async function didOutDialString(text: string, extension: string, lookup: DidOutLookup): Promise<string> {
  const entries = new Map<string, DidOutRoute>();
  for (const ext of noutExtensions(parseDialString(text))) {
    const entry = await lookup(ext);
    if (entry === null) throw new FreectiError('BAD_REQUEST', `'nout/${ext}/...': extension '${ext}' has no DID-out entry (/api/v1/nacd/did/out)`);
    entries.set(ext, entry);
  }
  const routed = entries.size === 0 ? text : withNoutRoutes(text, entries);
  if (!isPlainNumber(extension) || !mayTakeDidOut(routed)) return routed;
  // The caller's entry was already read when the dial string has one of its own nout/ legs.
  const own = entries.get(extension) ?? (await lookup(extension));
  return own === null ? routed : withDidOutCallerId(routed, own.callerId);
}
