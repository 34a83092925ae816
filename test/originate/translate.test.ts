import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreectiError } from '../../src/errors.js';
import { noLinegroups, translateCtiOriginate, type LinegroupDialer } from '../../src/originate/translate.js';
import { SEED } from './seed-examples.js';

function fakeDialer(): { dial: LinegroupDialer; asked: string[]; released: string[] } {
  const asked: string[] = [];
  const released: string[] = [];
  const dial: LinegroupDialer = async (dialString) => {
    asked.push(dialString);
    const match = /^(?:\[([^\]]*)\])?linegroup\/([^/]+)\/(.+)$/.exec(dialString);
    if (match === null) throw new FreectiError('LINEGROUP_DIAL_STRING');
    const legVars = match[1] === undefined ? 'freecti_line=l1' : `${match[1]},freecti_line=l1`;
    return { dialString: `[${legVars}]sofia/gateway/gw-${match[2]}/${match[3]}`, release: async (cause) => void released.push(`${match[2]}:${cause}`) };
  };
  return { dial, asked, released };
}

test('seed example 2: the bridge leg linegroup/default/5555 becomes the picked gateway; the rest is unchanged', async () => {
  const { dial, asked } = fakeDialer();
  const t = await translateCtiOriginate(SEED.example2, dial);
  assert.deepEqual(asked, ['linegroup/default/5555']);
  assert.equal(
    t.args,
    "{origination_caller_id_number=clicktocall,origination_nested_vars=true,execute_on_answer_set_record_filename='export record_filename=$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav'}user/121 &bridge({origination_caller_id_number=121,execute_on_answer_start_record='record_session \\${record_filename}'}[freecti_line=l1]sofia/gateway/gw-default/5555)",
  );
});

test('inline bridge: and a linegroup called leg (robot example) are resolved too', async () => {
  const { dial, asked } = fakeDialer();
  const inline = await translateCtiOriginate(SEED.example2inline, dial);
  assert.match(inline.args, /,bridge:\{origination_caller_id_number=121\}\[freecti_line=l1\]sofia\/gateway\/gw-default\/1380000000 inline$/);
  const robot = await translateCtiOriginate(SEED.robotLinegroup, dial);
  assert.ok(robot.args.startsWith('{ignore_early_media=true,origination_caller_id_number=1390000000,话术变量=话术变量的值}[freecti_line=l1]sofia/gateway/gw-out/13800000000 '));
  assert.deepEqual(asked, ['linegroup/default/1380000000', 'linegroup/out/13800000000']);
});

test('several legs: only linegroup legs change; separators and other legs are kept', async () => {
  const { dial } = fakeDialer();
  const t = await translateCtiOriginate('user/1000 &bridge([x=1]linegroup/a/1|user/1002,[y=2]linegroup/b/2:_:sofia/gateway/gw/3)', dial);
  assert.equal(t.args, 'user/1000 &bridge([x=1,freecti_line=l1]sofia/gateway/gw-a/1|user/1002,[y=2,freecti_line=l1]sofia/gateway/gw-b/2:_:sofia/gateway/gw/3)');
});

test('without line groups: plain dial strings pass; a linegroup dial string is a 400', async () => {
  const plain = await translateCtiOriginate(SEED.playMany, noLinegroups);
  assert.equal(plain.args, SEED.playMany);
  await assert.rejects(translateCtiOriginate(SEED.example2, noLinegroups), (e: unknown) => e instanceof FreectiError && e.key === 'BAD_REQUEST');
});

test('a failure after a line was taken gives the line back', async () => {
  const { dial, released } = fakeDialer();
  const failing: LinegroupDialer = async (ds) => (ds.includes('/b/') ? Promise.reject(new FreectiError('LINEGROUP_NO_LINE')) : dial(ds));
  await assert.rejects(translateCtiOriginate('user/1 &bridge(linegroup/a/1,linegroup/b/2)', failing));
  assert.deepEqual(released, ['a:ORIGINATOR_CANCEL']);
  const ok = await translateCtiOriginate('linegroup/a/1 &park()', dial);
  await ok.releaseAll('USER_BUSY');
  assert.deepEqual(released, ['a:ORIGINATOR_CANCEL', 'a:USER_BUSY']);
});
