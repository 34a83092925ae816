/** The `ctiCurl` configuration section: mod_cti's `cti_curl` application (docs/cti-curl.md). */
import { z } from 'zod';
import { DEFAULT_ALLOWED_URLS, urlPrefixProblem } from '../bridge/allowed-urls.js';

export const ctiCurlConfigSchema = z
  .strictObject({
    /** URL prefixes a `cti_curl` URL must be under (parsed: scheme, host, port, path), as `bridge.allowedUrls`. */
    allowedUrls: z
      .array(
        z.string().superRefine((text, ctx) => {
          const problem = urlPrefixProblem(text);
          if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
        }),
      )
      .default([...DEFAULT_ALLOWED_URLS]),
    /** Let replies dial gateways and leave the call's context (default: the public-context rules, docs/security.md). */
    allowOutbound: z.boolean().default(false),
    connectTimeoutMs: z.number().int().min(1).max(60_000).default(3000),
    responseTimeoutMs: z.number().int().min(1).max(60_000).default(3000),
  })
  .prefault({});

export type CtiCurlConfig = z.infer<typeof ctiCurlConfigSchema>;
