/** The `fsConfig` configuration section: inputs of `freecti fs-config` (docs/routing.md). */
import { z } from 'zod';

const cidr = z.string().regex(/^[0-9A-Fa-f:.]+\/\d{1,3}$/, 'must be a CIDR such as 192.0.2.10/32');
const contextName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only');
/** A destination_number expression FreeSWITCH matches (PCRE); checked as a regular expression here. */
const didPattern = z
  .string()
  .min(1)
  .max(256)
  .refine((v) => {
    try {
      new RegExp(v);
      return true;
    } catch {
      return false;
    }
  }, 'must be a regular expression');

export const fsConfigSchema = z
  .strictObject({
    /** freecti's base URL as FreeSWITCH reaches it; default from `http` (host 0.0.0.0/:: becomes 127.0.0.1). */
    freectiUrl: z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be http(s)://host[:port] without a path').optional(),
    /** mod_xml_curl `timeout` param, seconds (without it a hung request stalls FreeSWITCH). */
    xmlCurlTimeoutSeconds: z.number().int().min(1).max(60).default(8),
    /** Addresses allowed to use FreeSWITCH's event socket besides loopback (freecti's hosts). */
    eventSocketAllow: z.array(cidr).default([]),
    /** Addresses (carriers, SBCs) allowed to send calls into the public context. */
    inboundAllow: z.array(cidr).default([]),
    /** Context of calls from outside: routed by freecti, never to gateways. */
    publicContext: contextName.default('public'),
    /** The sofia profile that receives calls from outside (sip_profiles/<name>.xml; vanilla: external). */
    inboundProfile: contextName.default('external'),
    /** Context of calls from registered users: routed by freecti, may dial out. */
    internalContext: contextName.default('default'),
    /** The sofia profile phones REGISTER to (sip_profiles/<name>.xml; vanilla: internal). */
    registrationProfile: contextName.default('internal'),
    /**
     * REGISTERs sofia handles at once (`inbound-reg-in-new-thread` on registrationProfile plus
     * sofia.conf's `max-reg-threads`); 0: not emitted, sofia handles them one after the other
     * and waits for each directory lookup (docs/xml-curl.md "Registration storms").
     */
    maxRegThreads: z.number().int().min(0).max(256).default(8),
    /** Dialed numbers of the public context sent to nacd's DID-in lookup (nin_did, docs/nacd.md); null: no such extension. */
    nacdDidIn: didPattern.nullable().default(null),
    /** Dialed numbers of the internal context sent out through nacd's DID-out lookup (nout_did); null: no such extension. */
    nacdDidOut: didPattern.nullable().default(null),
    /**
     * Emit `api-expansion=false` for switch.conf.xml: FreeSWITCH then runs no api function
     * inside `${...}` (`${system(..)}` included, but `${strftime(..)}` and the vanilla
     * `${sofia_contact(..)}` dial-string too). Defence in depth (docs/security.md).
     */
    disableApiExpansion: z.boolean().default(false),
  })
  .prefault({});
