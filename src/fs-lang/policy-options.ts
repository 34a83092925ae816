/**
 * What the allow-list policy lets through, as configured (`security` in the config,
 * docs/security.md). Defaults run every example of the seeds.
 */
import { z } from 'zod';

export const securityConfigSchema = z
  .strictObject({
    /**
     * `${name}` channel variables a command, reply or variable value may expand. FreeSWITCH
     * expands a substituted value again and runs api functions in it, so the default holds
     * no variable whose value a remote party can set without FreeSWITCH cleaning it:
     * `caller_id_name`, `caller_id_number` (rewritten from P-Asserted-Identity,
     * Remote-Party-ID or X-FS-Display-* after the call starts) and `destination_number`
     * (a REFER's Refer-To user) are left out (UNSAFE_CALLER_VARIABLES,
     * test/fixtures/freeswitch/expansion/caller-fields-probe.txt).
     */
    variables: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/))
      .default(['uuid', 'ani', 'context', 'domain_name', 'record_filename', 'dialed_extension']),
    /** `$${name}` global variables they may expand. */
    globals: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/))
      .default(['recordings_dir', 'sounds_dir', 'sound_prefix', 'hold_music', 'domain', 'cn-ring', 'us-ring', 'uk-ring', 'fr-ring', 'rs-ring', 'hk-ring', 'bong-ring']),
    /** Where `record`, `record_session`, `uuid_record` and `conference record` may write: path prefixes. */
    recordDirs: z.array(z.string().min(2).max(512)).min(1).default(['$${recordings_dir}/']),
    /**
     * `${name}` channel variables a path to write may expand, besides `${strftime(..)}` and
     * the globals: only ones no caller can set (a caller id or dialled number may hold
     * `../`, and FreeSWITCH expands it into the path when it writes).
     */
    recordPathVariables: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/)).default(['uuid']),
    /** http(s) URLs FreeSWITCH may fetch media from (`playback`, `uuid_broadcast`...): URL prefixes. */
    mediaUrlPrefixes: z.array(z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL')).default(['http://127.0.0.1', 'http://localhost', 'http://[::1]']),
    /**
     * Applications FreeSWITCH modules of your own provide (mod_cti's `cti_robot`...):
     * allowed in replies and originate with their arguments checked as plain text.
     */
    extraApplications: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/)).default([]),
  })
  .prefault({});

export type SecurityConfig = z.infer<typeof securityConfigSchema>;

/**
 * Variables a remote party can fill with `${...}` that FreeSWITCH 1.11.3 does not clean
 * (recorded in test/fixtures/freeswitch/expansion/caller-fields-probe.txt): a reference to
 * one runs what the caller or callee wrote. Not in the default `security.variables`; an
 * operator who lists one takes that on (docs/security.md).
 */
export const UNSAFE_CALLER_VARIABLES: readonly string[] = ['caller_id_name', 'caller_id_number', 'callee_id_name', 'callee_id_number', 'destination_number'];

/** The UNSAFE_CALLER_VARIABLES an operator listed in `security.variables` (warned about at start). */
export function unsafeVariablesIn(options: SecurityConfig): string[] {
  const listed = new Set(options.variables.map((v) => v.toLowerCase()));
  return UNSAFE_CALLER_VARIABLES.filter((v) => listed.has(v));
}

export const DEFAULT_SECURITY: SecurityConfig = securityConfigSchema.parse(undefined);

/**
 * What FsPolicy is built from: the `security` config, and whether FreeSWITCH runs api
 * functions inside `${...}` at all (`fsConfig.disableApiExpansion`): when it does not,
 * `${strftime(..)}` would reach FreeSWITCH and fail at run time (its text replaced by
 * "API Execute Permission Denied"), so the policy refuses it.
 */
export type PolicyOptions = SecurityConfig & { readonly apiExpansionOff?: boolean };

/** The one place a config becomes FsPolicy options (src/service.ts, src/http/app.ts, fs-config). */
export function policyOptions(config: { readonly security: SecurityConfig; readonly fsConfig: { readonly disableApiExpansion: boolean } }): PolicyOptions {
  return { ...config.security, apiExpansionOff: config.fsConfig.disableApiExpansion };
}
