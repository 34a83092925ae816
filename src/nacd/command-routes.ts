/**
 * The nacd commands as a typed REST API (docs/nacd.md "Commands over REST"), beside their
 * /cli form and run by the same runner: each request is turned into the NacdCommand it
 * stands for (command-api.ts), whose /cli text the key's policy checks exactly as /cli
 * does (the same grants: a key allowed only `nacd_version` gets 403 on the others), then
 * NacdCommands.execute runs it (noriginate: runCliCall, as /cli's `bgapi noriginate`).
 * Auth as the call-control API: a CLI key (X-API-Key, Bearer or `?key=`) or an admin key;
 * `?node=` picks the node. Every command is audited like /cli (`via` names the route, `cmd`
 * and `arg` the /cli form). Bad input is 400 before anything is checked or sent.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AccessGate, presentedKey, type Caller } from '../auth/access.js';
import { redactKeysInUrls } from '../auth/redact-url.js';
import { expectOk, replyLine } from '../call-control/replies.js';
import { runCliCall } from '../cli-http/run-call.js';
import { isFsError } from '../originate/line-hold.js';
import { FreectiError } from '../errors.js';
import type { NacdCommand } from '../fs-lang/nacd-commands.js';
import type { AppPlugin } from '../http/route-deps.js';
import { checkedLines, groupBody, threewayBody, holdBody, limitsBody, lineParams, noriginateArgs, originateBody, transferBody, transferCommand, uuidParams, type CommandLine } from './command-api.js';
import { documentNacdCommandApi } from './command-openapi.js';

const nodeQuery = z.object({ node: z.string().min(1).max(64).optional(), key: z.string().optional() });

/** One command of a request: its /cli lines (the first the key is granted is used), how it runs, what its text means. */
interface Step<T> {
  lines: CommandLine[];
  exec: (node: string | undefined) => Promise<{ text: string; node: string }>;
  /** The answer of a text; throws the HTTP error a refusal stands for. */
  answer: (text: string, node: string) => T;
}

/** An nacd-local answer: JSON, `+OK <json>`, or `-ERR no ...` (an agent, queue or line that does not exist: 404). */
function localAnswer(text: string): unknown {
  if (text.startsWith('-ERR')) throw new FreectiError('NOT_FOUND', replyLine(text).replace(/^-ERR\s*/, ''), { details: { reply: replyLine(text) } });
  return JSON.parse(text.startsWith('+OK ') ? text.slice(4) : text) as unknown;
}

export const nacdCommandRoutes: AppPlugin = async (app, deps) => {
  const ctx = deps.services.cli;
  documentNacdCommandApi(deps.openapi);
  // `?key=` is read from the parsed query; the URL the logs see has it redacted.
  redactKeysInUrls(app);
  const base = '/api/v1/nacd';

  /** A step that runs a parsed command on the nacd runner (the node taken only when the command reaches a call). */
  const nacdStep = <T>(wanted: NacdCommand, answer: (text: string) => T): Step<T> => ({
    lines: checkedLines(wanted),
    exec: async (name) => {
      let used: string | undefined;
      const text = await ctx.nacd.execute(wanted, () => {
        const node = ctx.node(name);
        used = node.name;
        return node;
      }, deps.version);
      return { text, node: used ?? name ?? '-' };
    },
    answer,
  });

  /** Admits the key, then for each step: the policy check of its /cli text, the run, the answer and one audit record. */
  async function operate<T>(request: FastifyRequest, via: string, steps: Step<T>[]): Promise<T[]> {
    const query = nodeQuery.parse(request.query);
    let caller: Caller;
    const admittedAt = performance.now();
    const first = steps[0]?.lines[0] ?? { command: via, args: '' };
    try {
      caller = await ctx.gate.admit(presentedKey(request, query.key), request.ip, { cli: false });
    } catch (error) {
      const e = error instanceof FreectiError ? error : undefined;
      ctx.record({ ip: request.ip, keyId: '-' }, { via, cmd: first.command, arg: first.args, node: query.node, status: e?.status ?? 500, result: e?.code ?? 'FREECTI_ERR_INTERNAL', startedAt: admittedAt });
      throw error;
    }
    const answers: T[] = [];
    for (const step of steps) {
      const startedAt = performance.now();
      let line = step.lines[0] as CommandLine;
      let exactGrants: string[] | undefined;
      let node = query.node;
      try {
        const decisions = step.lines.map((l) => ({ line: l, decision: caller.entry.grants.check(l.command, l.args) }));
        const granted = decisions.find((d) => d.decision.allowed) ?? (decisions[0] as (typeof decisions)[number]);
        line = granted.line;
        exactGrants = AccessGate.require(caller, granted.decision).exactUsed;
        const ran = await step.exec(query.node);
        node = ran.node;
        const answer = step.answer(ran.text, ran.node);
        ctx.record(caller, { via, cmd: line.command, arg: line.args, node, status: 200, result: isFsError(ran.text) ? '-ERR' : '+OK', startedAt, exactGrants });
        answers.push(answer);
      } catch (error) {
        const e = error instanceof FreectiError ? error : undefined;
        const reason = typeof e?.details?.['reason'] === 'string' ? e.details['reason'] : undefined;
        ctx.record(caller, { via, cmd: line.command, arg: line.args, node, status: e?.status ?? 500, result: e?.code ?? 'FREECTI_ERR_INTERNAL', startedAt, exactGrants, reason });
        throw error;
      }
    }
    return answers;
  }

  const one = async <T>(request: FastifyRequest, via: string, step: Step<T>): Promise<T> => (await operate(request, via, [step]))[0] as T;

  app.get(`${base}/version`, async (request) =>
    one(request, 'nacd-version', nacdStep({ name: 'nacd_version' }, (text) => ({ version: deps.version, reply: replyLine(text) }))),
  );
  app.get(`${base}/limits`, async (request) => one(request, 'nacd-limits', nacdStep({ name: 'nacd_max' }, localAnswer)));
  app.get(`${base}/limits/:group/:line`, async (request) => {
    const line = lineParams.parse(request.params);
    return one(request, 'nacd-limits', nacdStep({ name: 'nacd_max', line }, localAnswer));
  });
  app.put(`${base}/limits/:group/:line`, async (request) => {
    const line = lineParams.parse(request.params);
    const body = limitsBody.parse(request.body);
    // One nacd_max per limit, each a compare-and-set of the stored line group, in this order.
    const steps = (['cps', 'concurrency'] as const).flatMap((limit) => {
      const value = body[limit];
      return value === undefined ? [] : [nacdStep({ name: 'nacd_max', line, set: { limit, value } }, localAnswer)];
    });
    return (await operate(request, 'nacd-limits-set', steps)).at(-1);
  });
  app.post(`${base}/calls/:uuid/hold`, async (request) => {
    const { uuid } = uuidParams.parse(request.params);
    const { mode } = holdBody.parse(request.body ?? {});
    const what = mode === 'off' ? 'nway_uuid_unhold' : 'nway_uuid_hold';
    return one(request, 'nacd-hold', nacdStep({ name: 'nway_uuid_hold', uuid, mode }, (text) => ({ uuid, mode, reply: expectOk(text, what, uuid) })));
  });
  app.post(`${base}/calls/:uuid/transfer`, async (request) => {
    const { uuid } = uuidParams.parse(request.params);
    const wanted = transferCommand(uuid, transferBody.parse(request.body));
    return one(request, 'nacd-transfer', nacdStep(wanted, (text) => ({ uuid, reply: expectOk(text, 'nway_uuid_transfer', uuid) })));
  });
  app.post(`${base}/calls/:uuid/group`, async (request) => {
    const { uuid } = uuidParams.parse(request.params);
    const { group } = groupBody.parse(request.body);
    return one(request, 'nacd-group', nacdStep({ name: 'nacd_transfer', uuid, group }, (text) => ({ uuid, group, reply: expectOk(text, 'nacd_transfer', uuid) })));
  });
  app.post(`${base}/calls/:uuid/threeway`, async (request) => {
    const { uuid } = uuidParams.parse(request.params);
    const { target } = threewayBody.parse(request.body);
    return one(request, 'nacd-threeway', nacdStep({ name: 'nway_threeway', uuid, target }, (text) => {
      // The runner's own answer for a call that is not on the node (it asks uuid_exists first).
      if (text.startsWith('-ERR no call ')) throw new FreectiError('CALL_NOT_FOUND', `nway_threeway: no call ${uuid}`, { details: { reply: replyLine(text) } });
      return { uuid, target, reply: expectOk(text, 'nway_threeway', uuid) };
    }));
  });
  app.post(`${base}/originate`, async (request, reply) => {
    const body = originateBody.parse(request.body);
    const uuid = randomUUID();
    const args = noriginateArgs(uuid, body);
    // /cli's `bgapi noriginate <args>`: the key needs noriginate (bgapi costs nothing).
    const started = await one(request, 'nacd-originate', {
      lines: [{ command: 'noriginate', args }],
      exec: async (node) => runCliCall(ctx, { cmd: 'bgapi', arg: `noriginate ${args}`, node }, { otherWaitMs: deps.config.cli.slowCommandWaitMs, version: deps.version }),
      answer: (text, node) => {
        const job = /^\+OK Job-UUID: (\S+)/.exec(text);
        if (job === null) throw new FreectiError('CALL_CONTROL_FAILED', `noriginate: ${replyLine(text).slice(0, 200)}`, { details: { reply: replyLine(text) } });
        return { uuid, jobUuid: job[1] as string, node };
      },
    });
    return reply.status(202).send(started);
  });
};
