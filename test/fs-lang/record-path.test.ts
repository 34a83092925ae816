/**
 * Paths FreeSWITCH writes (issue 13 item 5, the policy of src/fs-lang/media.ts): what is
 * spliced into a recording path at run time must not lead out of security.recordDirs.
 * - legitimate paths: `$${recordings_dir}` and other globals, `${uuid}`,
 *   `${strftime(<format>)}` directories and names (seed 003 examples);
 * - refused: a variable a caller can set (`${caller_id_number}`, `${caller_id_name}`,
 *   `${destination_number}`: a SIP user part may hold `/`, a display name anything), a
 *   strftime format whose literal text makes a `..` segment, glued expansions;
 * - `security.recordPathVariables` lets an operator vouch for more variables.
 * The caller id and destination variables are not in the default `security.variables` at all
 * (caller-fields-probe.txt); the path rule is checked with an operator who listed them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FsPolicy, PolicyRefusal } from '../../src/fs-lang/policy.js';
import { UNSAFE_CALLER_VARIABLES } from '../../src/fs-lang/policy-options.js';
import { keyScope, SEED_SECURITY, UUID } from './corpus.js';

const policy = new FsPolicy(SEED_SECURITY);
/** An operator who opted in to the caller id and destination variables (docs/security.md). */
const optedIn = new FsPolicy({ ...SEED_SECURITY, variables: [...SEED_SECURITY.variables, ...UNSAFE_CALLER_VARIABLES] });
const scope = keyScope();

function refused(run: () => unknown, reason: RegExp): void {
  assert.throws(run, (error: unknown) => error instanceof PolicyRefusal && reason.test(error.message));
}

const LEGITIMATE = [
  '$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav',
  '$${recordings_dir}/${strftime(%Y/%m/%d)}/${strftime(%H%M%S)}_${uuid}.wav',
  '/fs/recording/${strftime(%Y%m%d)}/${uuid}.mp3',
  '/fs/recording/20220624144610983/100000102896000118380317308.wav',
  '$${recordings_dir}/archive.${strftime(%Y)}/${uuid}.wav',
];

test('legitimate strftime/uuid paths under security.recordDirs pass in every place a path is written', () => {
  for (const path of LEGITIMATE) {
    policy.command('uuid_record', `${UUID} start ${path}`, scope);
    policy.command('originate', `user/1000 'record_session:${path}' inline`, scope);
    policy.command('originate', `{execute_on_answer='record_session ${path}'}user/1000 &park`, scope);
    policy.command('cti_originate', `{origination_nested_vars=true,execute_on_answer_set_record_filename='export record_filename=${path}'}user/121 &bridge({execute_on_answer_start_record='record_session \\\${record_filename}'}linegroup/默认/5555)`, scope);
  }
});

test('a caller-settable variable spliced into a path to write is refused, wherever the path is', () => {
  for (const variable of ['caller_id_number', 'caller_id_name', 'destination_number', 'ani', 'dialed_extension']) {
    const path = `$\${recordings_dir}/\${${variable}}.wav`;
    const reason = /may not be part of a path to write: a caller can set it/;
    refused(() => optedIn.command('uuid_record', `${UUID} start ${path}`, scope), reason);
    refused(() => optedIn.command('originate', `user/1000 &record_session(${path})`, scope), reason);
    refused(() => optedIn.command('originate', `user/1000 'record_session:${path}' inline`, scope), reason);
    refused(() => optedIn.command('originate', `{execute_on_answer='record_session ${path}'}user/1000 &park`, scope), reason);
    refused(() => optedIn.command('originate', `{record_filename=${path}}user/1000 &park`, scope), reason);
    // The same variable elsewhere (a file name to read is not a write) stays allowed where security.variables lists it.
    optedIn.command('originate', `{origination_caller_id_number=\${${variable}}}user/1000 &park`, scope);
    if (UNSAFE_CALLER_VARIABLES.includes(variable)) {
      refused(() => policy.command('originate', `{origination_caller_id_number=\${${variable}}}user/1000 &park`, scope), /is not an allowed channel variable/);
    } else {
      policy.command('originate', `{origination_caller_id_number=\${${variable}}}user/1000 &park`, scope);
    }
  }
});

test('a strftime format whose literal text makes a .. segment is refused; glued expansions too', () => {
  for (const path of ['/fs/recording/${strftime(..)}/x.wav', '/fs/recording/${strftime(%Y/..)}/x.wav', '/fs/recording/${strftime(../../etc/cron.d)}/x', '$${recordings_dir}/${strftime(..)}/${uuid}.wav']) {
    refused(() => policy.command('uuid_record', `${UUID} start ${path}`, scope), /'\.\.' in a file path/);
  }
  refused(() => policy.command('uuid_record', `${UUID} start /fs/recording/\${strftime(%Y)}\${uuid}.wav`, scope), /glued/);
  refused(() => policy.command('uuid_record', `${UUID} start /fs/recording/\${strftime(%Y %m)}.wav`, scope), /white space|unbalanced/);
});

test('security.recordPathVariables lets an operator vouch for a variable', () => {
  const vouched = new FsPolicy({ ...SEED_SECURITY, variables: optedIn.options.variables, recordPathVariables: ['uuid', 'dialed_extension'] });
  vouched.command('uuid_record', `${UUID} start $\${recordings_dir}/\${dialed_extension}/\${uuid}.wav`, scope);
  refused(() => vouched.command('uuid_record', `${UUID} start $\${recordings_dir}/\${caller_id_number}.wav`, scope), /a caller can set it/);
});
