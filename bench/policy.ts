/**
 * What "safe by construction" costs: the one parser and allow-list policy (src/fs-lang/)
 * checking what /cli, routing replies and cti_bridge send to FreeSWITCH, side by side in
 * one run with the text scanners it replaced (bench/lib/denylist-peer.ts, the shipped
 * denylist and toll-fraud regex that issue 8 showed to be bypassable).
 *
 *   npm run bench:policy
 *
 * stdout: one JSON line per case; progress on stderr. Each run checks every input of the
 * case BENCH_CHECKS times in all (default 20,000); contenders alternate over BENCH_ROUNDS
 * rounds (default 7); figures are medians of process CPU time (BENCH_CLOCK=wall for
 * elapsed time). `ratio` is the median per-round peer time / policy time: below 1 the
 * policy is slower than the scanner (it does more: it parses).
 */
import { loadavg } from 'node:os';
import { FsPolicy, type Scope } from '../src/fs-lang/policy.js';
import { CommandPolicy, listReachesOutbound, refusal } from './lib/denylist-peer.js';
import { printResult, progress, round } from './lib/output.js';
import { alternate, type Clock, pairedSpeedup } from './lib/timing.js';

const CHECKS = Number(process.env['BENCH_CHECKS'] ?? 20_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const CLOCK: Clock = process.env['BENCH_CLOCK'] === 'wall' ? 'wall' : 'cpu';

const policy = new FsPolicy({ ...new FsPolicy().options, recordDirs: ['$${recordings_dir}/', '/fs/recording/'] });
const key: Scope = { outbound: true, command: () => true, exact: () => false };
const publicReply: Scope = { outbound: false, context: 'public' };
const everything = new CommandPolicy(['*']);

interface Case {
  name: string;
  ours: () => void;
  peer: () => void;
}

const SEED_EXAMPLE_2 =
  "cti_originate {origination_caller_id_number=clicktocall,origination_nested_vars=true,execute_on_answer_set_record_filename='export record_filename=$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav'}user/121 &bridge({origination_caller_id_number=121,execute_on_answer_start_record='record_session \\${record_filename}'}linegroup/default/5555)";
const REPLY = [
  { application: 'answer', data: '' },
  { application: 'playback', data: '$${sounds_dir}/ivr/welcome.wav' },
  { application: 'set', data: 'effective_caller_id_number=${caller_id_number}' },
  { application: 'bridge', data: '{origination_caller_id_number=1000,execute_on_answer=record_session $${recordings_dir}/${uuid}.wav}user/1001,user/1002' },
];
const DIALSTRING = '{absolute_codec_string=PCMA}[leg_timeout=20]sofia/gateway/carrier1/4930123456|[leg_timeout=20]sofia/gateway/carrier2/4930123456,user/1001';

const CASES: Case[] = [
  { name: 'cli-status', ours: () => void policy.command('status', '', key), peer: () => void everything.check('status', '') },
  { name: 'cli-seed-cti-originate', ours: () => void policy.command('bgapi', SEED_EXAMPLE_2, key), peer: () => void everything.check('bgapi', SEED_EXAMPLE_2) },
  {
    name: 'routing-reply-4-actions-public',
    ours: () => {
      for (const a of REPLY) policy.application(a.application, a.data, publicReply, 'bench');
    },
    peer: () => {
      for (const a of REPLY) refusal(a.application, a.data);
      listReachesOutbound(REPLY, 'public');
    },
  },
  {
    name: 'bridge-dialstring-3-legs',
    ours: () => void policy.dialString(DIALSTRING, key, 'bench'),
    peer: () => void refusal('bridge', DIALSTRING),
  },
];

/** Untimed: the policy accepts every input (a bench of refusals would measure the wrong path). */
for (const c of CASES) c.ours();

for (const c of CASES) {
  const measured = alternate(
    [
      { name: 'policy', run: () => { for (let i = 0; i < CHECKS; i++) c.ours(); return CHECKS; } },
      { name: 'denylist', run: () => { for (let i = 0; i < CHECKS; i++) c.peer(); return CHECKS; } },
    ],
    { rounds: ROUNDS, warmup: 2, clock: CLOCK, onRun: (name, run, r) => progress(`${c.name} round ${r + 1} ${name} ${run.cpuMs.toFixed(1)} ms cpu`) },
  );
  const [ours, peer] = measured as [(typeof measured)[number], (typeof measured)[number]];
  printResult({
    case: c.name,
    ns_per_check: round((ours.medianMs * 1e6) / CHECKS),
    peer: 'denylist-scanner',
    peer_ns_per_check: round((peer.medianMs * 1e6) / CHECKS),
    ratio: round(pairedSpeedup(ours, peer), 3),
    clock: CLOCK,
    load1: round(loadavg()[0] ?? 0, 1),
  });
}
