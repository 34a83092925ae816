/**
 * Settings of the ACD's call half (config `acd.calls`, docs/acd.md "Calls on FreeSWITCH").
 * Leaf module: the config schema imports it.
 */
import { z } from 'zod';

export const acdCallsConfigSchema = z
  .strictObject({
    /** Period of the reaper's `show channels` sweep per node (ms); it also runs after every (re)connect. 0 = only then. */
    reapIntervalMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /** Context of number/group exits that name none; unset: the caller's own context (`default` when unknown). */
    exitContext: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
    /** Language of the position / estimated-wait announcements (`say <lang> ...`). */
    sayLanguage: z.string().regex(/^[a-z]{2}(?:[-_][A-Za-z]{2})?$/).default('en'),
  })
  .prefault({});

export type AcdCallsConfig = z.infer<typeof acdCallsConfigSchema>;
