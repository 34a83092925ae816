/**
 * `GET /cli?key=&cmd=&arg=[&node=]` (seed 003): runs one FreeSWITCH api command and
 * answers its text exactly as FreeSWITCH wrote it (text/plain, nothing trimmed).
 *
 * - `cmd=bgapi&arg=<command> <args>` starts a background job and answers
 *   `+OK Job-UUID: <uuid>\n` (the job's output arrives as a BACKGROUND_JOB event on
 *   the event stream);
 * - `cmd=cti_originate` (also under bgapi) is translated into `originate` (src/originate/);
 * - `node=<name>` picks a FreeSWITCH node, default the first connected one;
 * - a command not known to answer at once (originate, ...) runs as bgapi inside freecti
 *   and the caller gets the job's text, the same as api's (run-call.ts, docs/cli.md).
 * An in-band FreeSWITCH error (`-ERR ...`, `-USAGE: ...`) is still HTTP 200 (seed
 * clients read the text); the header `X-Freecti-Result: err` marks it. freecti's own
 * refusals are JSON errors: 401 key, 403 command/source (the command line is parsed and
 * checked against the key's allow-list by src/fs-lang/, docs/security.md), 429 rate,
 * 400 input, 503 FreeSWITCH down, 504 no answer in time.
 */
import type { AppPlugin } from '../http/route-deps.js';
import { FreectiError } from '../errors.js';
import { isFsError, runCliCall, type CliCall } from './run-call.js';
import { AccessGate, presentedKey, type Caller } from '../auth/access.js';
import { parseCliQuery, type CliQuery } from './query.js';
import { redactKeysInUrls } from '../auth/redact-url.js';
import { cliOpenApi } from './cli-openapi.js';

const COMMAND = /^[A-Za-z0-9_]{1,64}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

export { isFsError, runCliCall, type CliCall };

/** 400 unless the call is well-formed (no CR/LF injection, a command name, bounded size). */
export function validateCall(q: { cmd?: string | undefined; arg?: string | undefined; node?: string | undefined }, maxLength: number): CliCall {
  const arg = q.arg ?? '';
  if (CONTROL.test(q.cmd ?? '') || CONTROL.test(arg) || CONTROL.test(q.node ?? '')) {
    throw new FreectiError('BAD_REQUEST', 'cmd, arg and node must not contain line breaks or control characters');
  }
  const cmd = (q.cmd ?? '').trim();
  if (cmd === '') throw new FreectiError('BAD_REQUEST', 'cmd is missing');
  if (!COMMAND.test(cmd)) throw new FreectiError('BAD_REQUEST', 'cmd must be one FreeSWITCH command name (letters, digits, _)');
  if (cmd.length + arg.length > maxLength) throw new FreectiError('BAD_REQUEST', `cmd + arg longer than ${maxLength} characters`);
  return { cmd, arg: arg.trim(), node: q.node === '' ? undefined : q.node };
}

export const cliRoutes: AppPlugin = async (app, deps) => {
  const ctx = deps.services.cli;
  cliOpenApi(deps.openapi);
  const queries = new WeakMap<object, CliQuery>();
  redactKeysInUrls(app, (request, rawUrl) => queries.set(request, parseCliQuery(rawUrl)));
  app.get('/cli', async (request, reply) => {
    const startedAt = performance.now();
    const query = queries.get(request) ?? parseCliQuery(request.raw.url ?? request.url);
    const ip = request.ip;
    let caller: Caller | undefined;
    let call: CliCall = { cmd: query.cmd ?? '', arg: query.arg ?? '', node: query.node };
    let exactGrants: string[] | undefined;
    try {
      caller = await ctx.gate.admit(presentedKey(request, query.key), ip, { cli: true });
      call = validateCall(query, deps.config.cli.maxCommandLength);
      const checked = AccessGate.require(caller, caller.entry.grants.check(call.cmd, call.arg));
      exactGrants = checked.exactUsed;
      const { text, node } = await runCliCall(ctx, call, { otherWaitMs: deps.config.cli.slowCommandWaitMs, version: deps.version });
      const failed = isFsError(text);
      ctx.record(caller, { via: 'cli', ...call, node, status: 200, result: failed ? '-ERR' : '+OK', startedAt, exactGrants });
      return reply
        .header('x-freecti-node', node)
        .header('x-freecti-result', failed ? 'err' : 'ok')
        .type('text/plain; charset=utf-8')
        .send(text);
    } catch (error) {
      const status = error instanceof FreectiError ? error.status : 500;
      const result = error instanceof FreectiError ? error.code : 'FREECTI_ERR_INTERNAL';
      const reason = error instanceof FreectiError && typeof error.details?.['reason'] === 'string' ? error.details['reason'] : undefined;
      ctx.record(caller ?? { ip, keyId: '-' }, { via: 'cli', ...call, status, result, startedAt, exactGrants, reason });
      throw error;
    }
  });
};
