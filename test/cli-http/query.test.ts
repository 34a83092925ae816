import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeComponent, latin1ToUtf8, parseCliQuery } from '../../src/cli-http/query.js';

test('+ and %20 are spaces, %2B is a plus, invalid % escapes stay literal', () => {
  assert.equal(decodeComponent('originate+user/1000+%26echo'), 'originate user/1000 &echo');
  assert.equal(decodeComponent('originate%20user%2F1000%20%26echo'), 'originate user/1000 &echo');
  assert.equal(decodeComponent('a%2Bb'), 'a+b');
  assert.equal(decodeComponent('${strftime(%Y-%m-%d)}'), '${strftime(%Y-%m-%d)}');
  assert.equal(decodeComponent('100%'), '100%');
  assert.equal(decodeComponent('%E8%AF%9D%E6%9C%AF'), '话术');
});

test('raw non-ASCII text is kept, also when the HTTP parser handed it over as latin1', () => {
  assert.equal(decodeComponent('话术变量=值'), '话术变量=值');
  const latin1 = Buffer.from('/cli?arg=话术', 'utf8').toString('latin1');
  assert.equal(latin1ToUtf8(latin1), '/cli?arg=话术');
  assert.deepEqual(parseCliQuery(latin1), { arg: '话术' });
});

test('a raw & inside arg stays part of arg (seed example 1 typed unencoded)', () => {
  const q = parseCliQuery('/cli?key=abc&cmd=bgapi&arg=originate user/1000 &echo');
  assert.deepEqual(q, { key: 'abc', cmd: 'bgapi', arg: 'originate user/1000 &echo' });
  const bridge = parseCliQuery("/cli?key=abc&cmd=bgapi&arg=cti_originate {a=1}user/121 &bridge({origination_caller_id_number=121}linegroup/default/5555)&node=fs2");
  assert.equal(bridge.arg, 'cti_originate {a=1}user/121 &bridge({origination_caller_id_number=121}linegroup/default/5555)');
  assert.equal(bridge.node, 'fs2');
});

test('the seed example 2, url-encoded as printed in the seed, decodes to the original', () => {
  const url =
    '/cli?key=abc&cmd=bgapi&arg=cti_originate%20%7Borigination_caller_id_number%3Dclicktocall%2Corigination_nested_vars%3Dtrue%2Cexecute_on_answer_set_record_filename%3D%27export%20record_filename%3D%24%24%7Brecordings_dir%7D%2F%24%7Bstrftime(%25Y-%25m-%25d)%7D%2F%24%7Buuid%7D.wav%27%7Duser%2F121%20%26bridge(%7Borigination_caller_id_number%3D121%2Cexecute_on_answer_start_record%3D%27record_session%20%5C%24%7Brecord_filename%7D%27%7Dlinegroup%2Fdefault%2F5555)';
  assert.equal(
    parseCliQuery(url).arg,
    "cti_originate {origination_caller_id_number=clicktocall,origination_nested_vars=true,execute_on_answer_set_record_filename='export record_filename=$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav'}user/121 &bridge({origination_caller_id_number=121,execute_on_answer_start_record='record_session \\${record_filename}'}linegroup/default/5555)",
  );
});

test('encodeURIComponent round-trips any text; decoding never throws', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (text) => {
      assert.equal(parseCliQuery(`/cli?cmd=status&arg=${encodeURIComponent(text)}`).arg, text);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (text) => {
      parseCliQuery(`/cli?${text}`);
    }),
    { numRuns: 300 },
  );
});
