/**
 * Property tests for the FreeSWITCH parsers and the allow-list policy (src/fs-lang/).
 *
 * Generators build commands, dial strings and application data FROM THE GRAMMAR
 * (endpoints, variable blocks, originate targets, allowed and refused expansions, hook
 * variables) and then MUTATE them (insert `${`, quotes, backslashes, separators, hook
 * names, random characters). Whatever FsPolicy accepts must satisfy an oracle written
 * here, much simpler than the parser and conservative:
 *
 * - with quotes and backslashes removed, every `${` / `$${` is one allowed form (a
 *   configured variable, a configured global, `${strftime(<literal format>)}`) and is
 *   not directly followed by `{` or `$`;
 * - no application outside the allow-list table sits in an `&app`, inline `app:`,
 *   `execute_on_*=app` or `app::` position;
 * - with `outbound: false`, every leg dials user/, error/, group/, verto (or a
 *   registered user `sofia/<profile>/<user>%<domain>`) only.
 *
 * And: the parsers throw nothing but FsSyntaxError on any string, FsPolicy nothing but
 * PolicyRefusal.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseCommandLine } from '../../src/fs-lang/command-line.js';
import { parseDialString, parseEndpoint } from '../../src/fs-lang/dial-string.js';
import { expansionView, parseExpansions } from '../../src/fs-lang/expansion.js';
import { urlAllowed } from '../../src/fs-lang/media.js';
import { parseInlineApps, parseOriginate } from '../../src/fs-lang/originate.js';
import { PolicyRefusal, type Scope } from '../../src/fs-lang/policy.js';
import { blockEnd, FsSyntaxError, splitQuoted, splitWords } from '../../src/fs-lang/scan.js';
import { parseAssignment, parseVarBlock } from '../../src/fs-lang/var-block.js';
import { keyScope, publicScope, SEED_SECURITY, seedPolicy, UUID } from './corpus.js';

const policy = seedPolicy();

// ---------------------------------------------------------------------------------
// The oracle (independent of src/fs-lang: its own lists, its own scanning).

const VARIABLES = new Set(SEED_SECURITY.variables.map((v) => v.toLowerCase()));
const GLOBALS = new Set(SEED_SECURITY.globals.map((v) => v.toLowerCase()));
/** The application table (docs/security.md), written out here, plus the configured extra. */
const APPS = new Set([
  'answer', 'pre_answer', 'ring_ready', 'hangup', 'respond', 'sched_hangup', 'redirect', 'deflect', 'wait_for_answer', 'info', 'log', 'bridge', 'att_xfer', 'transfer',
  'sched_transfer', 'park', 'valet_park', 'callcenter', 'fifo', 'voicemail', 'conference', 'playback', 'endless_playback', 'loop_playback', 'displace_session',
  'stop_displace_session', 'gentones', 'say', 'speak', 'echo', 'sleep', 'delay_echo', 'record', 'record_session', 'stop_record_session', 'play_and_get_digits', 'read',
  'start_dtmf', 'stop_dtmf', 'send_dtmf', 'flush_dtmf', 'clear_digit_action', 'set', 'export', 'push', 'unshift', 'set_profile_var', 'unset', 'multiset', 'privacy', 'limit',
  'send_display', 'wait_for_silence', 'eavesdrop', 'cti_robot',
]);
const STRFTIME = /^\$\{strftime\([%A-Za-z0-9 _:./+-]{0,64}\)\}/i;

/** Problems the oracle finds in text FsPolicy accepted ('' = none). */
function expansionProblem(text: string, strict = false): string {
  const view = text.replace(/['"\\]/g, '');
  for (let i = view.indexOf('${'); i >= 0; i = view.indexOf('${', i + 1)) {
    const global = i > 0 && view[i - 1] === '$';
    const start = global ? i - 1 : i;
    const rest = view.slice(start);
    let length = 0;
    const name = /^\$\$?\{([A-Za-z_][A-Za-z0-9_.-]*)\}/.exec(rest);
    if (name !== null && (global ? GLOBALS : VARIABLES).has((name[1] as string).toLowerCase())) length = name[0].length;
    else if (!global && STRFTIME.test(rest)) length = (STRFTIME.exec(rest) as RegExpExecArray)[0].length;
    if (length === 0) return `expansion not allowed: ${rest.slice(0, 40)}`;
    const after = view[start + length];
    const tail = view.slice(start + length);
    // `$` right after an expansion only matters when it starts another one; `strict` is the brief's literal rule.
    if (after === '{' || (after === '$' && (strict || tail.startsWith('${') || tail.startsWith('$${')))) return `expansion glued to '${after}': ${rest.slice(0, 40)}`;
  }
  return '';
}

/** Words as FreeSWITCH splits an api line: at spaces outside single quotes. */
function fsWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === "'") quoted = !quoted;
    if (!quoted && (ch === ' ' || ch === '\t')) {
      if (word !== '') words.push(word);
      word = '';
    } else word += ch;
  }
  if (word !== '') words.push(word);
  return words;
}

/** The inside of every `{..}`, `[..]`, `<..>` block, innermost first. */
function blockBodies(view: string): string[] {
  const bodies: string[] = [];
  let rest = view;
  for (;;) {
    // A block ends at its own closing character (switch_find_end_paren counts only its pair): `<[x>` is one `<..>` block.
    const m = /\{([^{}]*)\}|\[([^[\]]*)\]|<([^<>]*)>/.exec(rest);
    if (m === null) return bodies;
    bodies.push((m[1] ?? m[2] ?? m[3]) as string);
    rest = rest.slice(0, m.index) + '\u0000' + rest.slice(m.index + m[0].length);
  }
}

/**
 * Application positions: in an originate line, `&app` after the call URL and each item of
 * the word before `inline` (also for uuid_transfer and transfer data); `execute_on_*=app`
 * where a variable is assigned (a block item, set/export/push/unshift/multiset data,
 * uuid_setvar); `app::` as the file word of uuid_broadcast.
 */
type Where = 'line' | 'transfer' | 'set' | 'data';
function appProblem(text: string, where: Where): string {
  const view = text.replace(/['"\\]/g, '');
  const bad = (name: string): boolean => !APPS.has(name.toLowerCase());
  const execValue = (item: string): string => {
    const m = /^\s*(?:nolocal:)?execute_on_[A-Za-z0-9_]*\s*=\s*([A-Za-z0-9_]+)/i.exec(item);
    return m !== null && bad(m[1] as string) ? `execute_on_*=${m[1] ?? ''}` : '';
  };
  for (const body of blockBodies(view)) {
    const sep = body.startsWith('^^') ? body[2] ?? ',' : ',';
    for (const item of (body.startsWith('^^') ? body.slice(3) : body).split(sep)) if (execValue(item) !== '') return execValue(item);
  }
  if (where === 'set' && execValue(view) !== '') return execValue(view);
  for (const m of view.matchAll(/(?:set|export|push|unshift|multiset)[:(](\s*(?:nolocal:)?execute_on_[^\n]*)/gi)) if (execValue(m[1] as string) !== '') return execValue(m[1] as string);
  for (const m of view.matchAll(/uuid_setvar\s+\S+\s+(?:nolocal:)?execute_on_[A-Za-z0-9_]*\s+([A-Za-z0-9_]+)/gi)) if (bad(m[1] as string)) return `uuid_setvar execute_on_*=${m[1] ?? ''}`;
  const words = fsWords(text).map((w) => w.replace(/['"\\]/g, ''));
  if (where === 'line' && words[0]?.toLowerCase() === 'bgapi') words.shift();
  const command = where === 'line' ? (words[0] ?? '').toLowerCase() : '';
  const inlineAt = where === 'transfer' ? 0 : ['originate', 'cti_originate'].includes(command) ? 2 : command === 'uuid_transfer' ? (/^-/.test(words[2] ?? '') ? 3 : 2) : -1;
  for (const [i, word] of words.entries()) {
    const app = /^([A-Za-z0-9_]+)::/.exec(word);
    if (app !== null && i > 0 && /^[0-9a-f]{8}-[0-9a-f-]{4,}$/i.test(words[i - 1] as string) && bad(app[1] as string)) return `${app[1] ?? ''}::`;
    if (i === 2 && (command === 'originate' || command === 'cti_originate')) {
      const amp = /^&([A-Za-z0-9_]+)/.exec(word);
      if (amp !== null && bad(amp[1] as string)) return `&${amp[1] ?? ''}`;
    }
    if (i !== inlineAt || words[i + 1] !== 'inline') continue;
    for (const item of word.split(',')) {
      const name = item.trim().split(':')[0] ?? '';
      if (bad(name)) return `inline ${name}`;
    }
  }
  return '';
}

const PUBLIC_ENDPOINTS = new Set(['user', 'error', 'group', 'verto', 'verto.rtc']);

function publicEndpointProblem(dial: string): string {
  let legs = dial.replace(/['"\\]/g, '');
  for (let previous = ''; previous !== legs; ) {
    previous = legs;
    legs = legs.replace(/\{[^{}]*\}|\[[^[\]]*\]|<[^<>]*>/g, '');
  }
  for (const leg of legs.split(/[,|]|:_:/)) {
    const body = leg.trim();
    if (body === '') continue;
    const slash = body.indexOf('/');
    const type = (slash < 0 ? body : body.slice(0, slash)).toLowerCase();
    if (PUBLIC_ENDPOINTS.has(type)) continue;
    if (type === 'sofia' && /^[A-Za-z0-9_.-]+\/[^@%/]+%[^@/]+$/.test(body.slice(slash + 1))) continue;
    return body;
  }
  return '';
}

// ---------------------------------------------------------------------------------
// Generators from the grammar.

const num = fc.stringMatching(/^[1-9][0-9]{2,10}$/);
const word = fc.stringMatching(/^[A-Za-z0-9_.]{1,8}$/);
const allowedExpansion = fc.constantFrom('${uuid}', '${ani}', '${domain_name}', '$${recordings_dir}', '$${sounds_dir}', '$${cn-ring}', '${strftime(%Y-%m-%d)}', '${strftime(%H%M%S)}', '${record_filename}', '${UUID}');
const refusedExpansion = fc.constantFrom(
  '${system(ls)}', '${x:0:3}', '${uuid:0:3}', '${${x}}', '${nope}', '$${nope}', '${user_data(a@b param password)}', '${expand system}', '${url_decode(%24)}', '${uuid}{',
  '$\\{system(ls)}', "$'{'system(ls)}", '\\${nope}', '${uuid}${uuid}', '${strftime(${x})}', '$${uuid}',
  // Not in the default security.variables: a remote party can fill them with ${...} (caller-fields-probe.txt).
  '${caller_id_number}', '${caller_id_name}', '${destination_number}',
);
const expansion = fc.oneof(allowedExpansion, refusedExpansion);
const valueText = fc.array(fc.oneof(word, allowedExpansion, allowedExpansion, refusedExpansion, fc.constantFrom('/', '-', '_', '.wav', ':', '@')), { minLength: 1, maxLength: 4 }).map((a) => a.join(''));

const endpoint = fc.oneof(
  num.map((n) => `user/${n}`),
  num.map((n) => `user/${n}@example.com`),
  num.map((n) => `sofia/gateway/gw1/${n}`),
  num.map((n) => `sofia/external/${n}@192.0.2.7:5060`),
  num.map((n) => `sofia/internal/${n}%example.com`),
  num.map((n) => `linegroup/default/${n}`),
  num.map((n) => `loopback/${n}/default`),
  fc.constantFrom('group/sales', 'error/USER_BUSY', 'verto.rtc/1000@example.com', 'freetdm/1/a/123', 'pickup/x', 'skinny/1'),
  expansion.map((e) => `user/${e}`),
);

const appNames = fc.constantFrom('playback', 'log', 'set', 'export', 'bridge', 'record_session', 'transfer', 'hangup', 'park', 'echo', 'conference', 'cti_robot', 'socket', 'system', 'lua', 'curl', 'bg_system', 'eval');
const commandNames = fc.constantFrom('status', 'uuid_kill', 'system', 'bgapi', 'lua', 'show', 'expand');

const plainVarName = fc.constantFrom('origination_caller_id_number', 'ignore_early_media', 'x', 'a.b', 'sip_h_X-Foo', 'record_filename', 'transfer_ringback', '话术变量');
const hookVar = fc.oneof(
  fc.tuple(fc.constantFrom('api_hangup_hook', 'api_on_answer', 'nolocal:api_on_answer', 'api_reporting_hook'), commandNames, valueText).map(([n, c, v]) => `${n}='${c} ${v}'`),
  fc.tuple(fc.constantFrom('execute_on_answer', 'execute_on_answer_x', 'nolocal:execute_on_ring', 'execute_on_media'), appNames, valueText).map(([n, a, v]) => `${n}='${a} ${v}'`),
  fc.tuple(fc.constantFrom('exec_after_bridge_app', 'bridge_pre_execute_bleg_app', 'session_in_hangup_hook', 'record_post_process_exec_api'), fc.constantFrom('true', 'system', 'echo')).map(([n, v]) => `${n}=${v}`),
);
const varItem = fc.oneof(
  fc.tuple(plainVarName, valueText).map(([n, v]) => `${n}=${v}`),
  fc.tuple(plainVarName, valueText).map(([n, v]) => `nolocal:${n}='${v}'`),
  hookVar,
);
const block = (open: string, close: string): fc.Arbitrary<string> => fc.array(varItem, { minLength: 1, maxLength: 3 }).map((items) => `${open}${items.join(',')}${close}`);
const leg = fc.tuple(fc.option(block('[', ']'), { nil: undefined }), endpoint).map(([b, e]) => `${b ?? ''}${e}`);
const dialString = fc
  .tuple(
    fc.option(block('<', '>'), { nil: undefined }),
    fc.option(block('{', '}'), { nil: undefined }),
    fc.array(fc.tuple(fc.constantFrom(',', '|', ':_:'), leg), { maxLength: 2 }),
    leg,
  )
  .map(([ent, all, more, first]) => `${ent ?? ''}${all ?? ''}${first}${more.map(([sep, l]) => sep + l).join('')}`);

const media = fc.oneof(
  fc.constantFrom('/x/y.wav', '声音文件', 'tone_stream://%(100,100,440)', 'http://127.0.0.1/a.wav', 'http://ip/a.wav', 'http://169.254.169.254/x', 'shell_stream://id', 'file_string://a.wav!b.wav'),
  valueText.map((v) => `$\${sounds_dir}/${v}.wav`),
);
const recordPath = fc.oneof(fc.constantFrom('/fs/recording/a.wav', '/etc/x', '${record_filename}', '/fs/recording/../x'), valueText.map((v) => `$\${recordings_dir}/${v}.wav`));
const appData = (name: string): fc.Arbitrary<string> => {
  switch (name) {
    case 'bridge':
      return dialString;
    case 'playback':
      return media;
    case 'record_session':
      return recordPath;
    case 'set':
    case 'export':
      return fc.oneof(varItem, fc.tuple(plainVarName, valueText).map(([n, v]) => `${n}=${v}`));
    case 'transfer':
      return fc.oneof(num.map((n) => `${n} XML default`), num.map((n) => `${n} XML public`), fc.constantFrom("'socket:1.2.3.4' inline", "'park' inline"));
    case 'conference':
      return fc.oneof(word, dialString.map((d) => `bridge:room:${d}`));
    default:
      return valueText;
  }
};
const application = appNames.chain((name) => appData(name).map((data) => ({ name, data })));

const target = fc.oneof(
  application.map(({ name, data }) => `&${name}(${data})`),
  fc.array(application, { minLength: 1, maxLength: 3 }).map((apps) => `'${apps.map((a) => `${a.name}:${a.data}`).join(',')}' inline`),
  num.map((n) => `${n} XML default`),
);

interface Line {
  cmd: string;
  arg: string;
}
const baseCommand: fc.Arbitrary<Line> = fc.oneof(
  fc.tuple(fc.constantFrom('originate', 'cti_originate'), dialString, target).map(([cmd, d, t]) => ({ cmd, arg: `${d} ${t}` })),
  fc.tuple(dialString, target).map(([d, t]) => ({ cmd: 'bgapi', arg: `originate ${d} ${t}` })),
  fc.oneof(media, application.map((a) => `${a.name}::${a.data}`)).map((m) => ({ cmd: 'uuid_broadcast', arg: `${UUID} ${m} both` })),
  varItem.map((item) => ({ cmd: 'uuid_setvar', arg: `${UUID} ${item.replace('=', ' ')}` })),
  application.map((a) => ({ cmd: 'uuid_transfer', arg: `${UUID} '${a.name}:${a.data}' inline` })),
  media.map((m) => ({ cmd: 'conference', arg: `room play ${m} async` })),
  recordPath.map((p) => ({ cmd: 'uuid_record', arg: `${UUID} start ${p}` })),
  fc.tuple(commandNames, valueText).map(([c, v]) => ({ cmd: 'bgapi', arg: `${c} ${v}` })),
  fc.constantFrom<Line>({ cmd: 'status', arg: '' }, { cmd: 'show', arg: 'channels as json' }, { cmd: 'sched_api', arg: '+1 none system ls' }),
);

const TOKENS = ['${', '$${', '}', '{', "'", '\\', ',', '|', ':_:', '[', ']', '(', ')', ' ', '$', ':', '::', '&', '=', 'api_hangup_hook=', 'execute_on_answer=', 'socket:', 'system', 'nolocal:', '^^:', ' inline', '..', '/', '%'];
const insertion = fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...TOKENS), fc.string({ minLength: 1, maxLength: 2 })));

/** Applies up to four insertions at chosen positions. */
function mutate(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(text, fc.array(insertion, { maxLength: 4 })).map(([t, edits]) => edits.reduce((s, [at, tok]) => s.slice(0, at % (s.length + 1)) + tok + s.slice(at % (s.length + 1)), t));
}
const mutatedCommand: fc.Arbitrary<Line> = fc.tuple(baseCommand, fc.boolean(), fc.array(insertion, { maxLength: 4 })).map(([line, inCmd, edits]) => {
  if (inCmd && edits.length > 0) {
    const [at, tok] = edits[0] as [number, string];
    return { cmd: line.cmd.slice(0, at % (line.cmd.length + 1)) + tok + line.cmd.slice(at % (line.cmd.length + 1)), arg: line.arg };
  }
  return { cmd: line.cmd, arg: edits.reduce((s, [at, tok]) => s.slice(0, at % (s.length + 1)) + tok + s.slice(at % (s.length + 1)), line.arg) };
});

function accepted(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (error) {
    if (error instanceof PolicyRefusal) return false;
    throw error;
  }
}

// ---------------------------------------------------------------------------------
// Properties.

test('the generators reach both outcomes (sanity)', () => {
  let yes = 0;
  let no = 0;
  fc.assert(
    fc.property(fc.oneof(baseCommand, mutatedCommand), (line) => {
      if (accepted(() => policy.command(line.cmd, line.arg, keyScope()))) yes++;
      else no++;
    }),
    { numRuns: 600, seed: 8 },
  );
  assert.ok(yes >= 30, `only ${yes} of 600 generated commands accepted`);
  assert.ok(no >= 100, `only ${no} of 600 generated commands refused`);
});

test('what a key may send satisfies the oracle (expansions and applications)', () => {
  fc.assert(
    fc.property(fc.oneof(baseCommand, mutatedCommand), (line) => {
      if (!accepted(() => policy.command(line.cmd, line.arg, keyScope()))) return;
      const text = `${line.cmd} ${line.arg}`;
      assert.equal(expansionProblem(text), '', text);
      assert.equal(appProblem(text, 'line'), '', text);
    }),
    { numRuns: 2000 },
  );
});

test('what a public-context reply may dial or run satisfies the oracle (endpoints, expansions, applications)', () => {
  const scope = (): Scope => publicScope();
  fc.assert(
    fc.property(fc.oneof(dialString, mutate(dialString)), (dial) => {
      if (!accepted(() => policy.dialString(dial, scope(), 'p'))) return;
      assert.equal(publicEndpointProblem(dial), '', dial);
      assert.equal(expansionProblem(dial), '', dial);
      assert.equal(appProblem(dial, 'data'), '', dial);
    }),
    { numRuns: 1500 },
  );
  fc.assert(
    fc.property(fc.oneof(application, application.chain(({ name, data }) => mutate(fc.constant(data)).map((d) => ({ name, data: d })))), ({ name, data }) => {
      if (!accepted(() => policy.application(name, data, scope(), 'p'))) return;
      assert.ok(APPS.has(name), name);
      assert.equal(expansionProblem(data), '', data);
      assert.equal(appProblem(data, ['set', 'export', 'push', 'unshift', 'multiset'].includes(name) ? 'set' : name === 'transfer' ? 'transfer' : 'data'), '', data);
      if (name === 'bridge') assert.equal(publicEndpointProblem(data), '', data);
      if (name === 'conference' && /^bridge:/i.test(data.trim())) assert.equal(publicEndpointProblem(data.trim().replace(/^bridge:[^:]*:/i, '')), '', data);
    }),
    { numRuns: 1500 },
  );
});

// The same properties over forms src/fs-lang once let through: an `other` endpoint body, a quoted app::args.
const onceHoles: fc.Arbitrary<Line> = fc.oneof(
  fc.tuple(fc.constantFrom('verto', 'gateway'), refusedExpansion).map(([type, e]) => ({ cmd: 'originate', arg: `${type}/${e} &echo` })),
  fc.constantFrom('system::ls', 'lua::x.lua', 'socket::1.2.3.4:8084').map((a) => ({ cmd: 'uuid_broadcast', arg: `${UUID} '${a}' both` })),
);
test(
  'an `other` endpoint body and a quoted app::args never break the oracle',
  () => {
    fc.assert(
      fc.property(onceHoles, (line) => {
        if (!accepted(() => policy.command(line.cmd, line.arg, keyScope()))) return;
        const text = `${line.cmd} ${line.arg}`;
        assert.equal(expansionProblem(text), '', text);
        assert.equal(appProblem(text, 'line'), '', text);
      }),
      { numRuns: 100 },
    );
  },
);

test(
  "the brief's literal rule: no allowed expansion is directly followed by '$'",
  () => {
    fc.assert(
      fc.property(valueText, fc.stringMatching(/^[A-Za-z0-9=]{1,4}$/), (v, tail) => {
        const data = `INFO ${v}$${tail}`;
        if (!accepted(() => policy.application('log', data, publicScope(), 'p'))) return;
        assert.equal(expansionProblem(data, true), '', data);
      }),
      { numRuns: 300 },
    );
  },
);

// ---------------------------------------------------------------------------------
// Only the documented error types.

const anyText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...'${}[]<>()\'\\,|:_^=&@%/ \t\nabcxyz019'.split('')), maxLength: 60 }),
  mutate(dialString),
  mutatedCommand.map((l) => l.arg),
);

function onlySyntaxErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof FsSyntaxError)) throw new Error(`threw ${String(error)}`, { cause: error });
  }
}

test('the parsers throw FsSyntaxError and nothing else', () => {
  fc.assert(
    fc.property(anyText, anyText, (a, b) => {
      parseExpansions(a);
      expansionView(a);
      assert.equal(typeof urlAllowed(a, SEED_SECURITY.mediaUrlPrefixes), 'boolean');
      for (let i = 0; i < Math.min(a.length, 4); i++) blockEnd(a, i);
      onlySyntaxErrors(() => parseVarBlock(a));
      onlySyntaxErrors(() => parseAssignment(a));
      onlySyntaxErrors(() => parseDialString(a));
      onlySyntaxErrors(() => parseEndpoint(a));
      onlySyntaxErrors(() => parseOriginate(`${a} ${b}`));
      onlySyntaxErrors(() => parseOriginate(a));
      onlySyntaxErrors(() => parseInlineApps(a));
      onlySyntaxErrors(() => parseCommandLine(a, b));
      onlySyntaxErrors(() => splitWords(a));
      onlySyntaxErrors(() => splitQuoted(a, b.slice(0, 1) || ','));
    }),
    { numRuns: 1500 },
  );
});

test('FsPolicy throws PolicyRefusal and nothing else', () => {
  const scopes: Scope[] = [keyScope(), publicScope(), { outbound: false, context: 'public', command: () => true }, {} as Scope];
  fc.assert(
    fc.property(anyText, anyText, fc.nat(3), (a, b, s) => {
      const scope = { ...(scopes[s] as Scope), exactUsed: [] };
      accepted(() => policy.text(a, 'p'));
      accepted(() => policy.value(a, 'p'));
      accepted(() => policy.media(a, 'p'));
      accepted(() => policy.recordPath(a, 'p'));
      accepted(() => policy.transfer(a, scope, 'p'));
      accepted(() => policy.dialString(a, scope, 'p'));
      accepted(() => policy.application(a, b, scope, 'p'));
      accepted(() => policy.application('bridge', a, scope, 'p'));
      accepted(() => policy.application('play_and_get_digits', a, scope, 'p'));
      accepted(() => policy.originate(a, scope));
      accepted(() => policy.command(a, b, scope));
      accepted(() => policy.command('originate', a, scope));
      accepted(() => policy.command('uuid_broadcast', `${UUID} ${a}`, scope));
      accepted(() => policy.variable(policy.parse('p', () => parseAssignment(a)), scope, 'p'));
    }),
    { numRuns: 1000 },
  );
});
