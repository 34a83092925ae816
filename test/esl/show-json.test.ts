/** `show ... as json` replies as recorded: rows, the empty `{"row_count": 0}\n`, and in-band errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EslDecoder } from '../../src/esl/decoder.js';
import { parseShowJsonRows } from '../../src/esl/show-json.js';
import { readEsl } from '../helpers/fixtures.js';

function apiBodies(file: string): string[] {
  return EslDecoder.decodeAll(readEsl(file)).flatMap((m) => (m.kind === 'api-response' ? [m.body] : []));
}

test('recorded replies: rows with no newline, and the empty reply with its space and newline', () => {
  const [empty] = apiBodies('esl-inbound/api-show-channels-json-no-calls.esl');
  assert.equal(empty, '{"row_count": 0}\n');
  assert.deepEqual(parseShowJsonRows(empty ?? '', 'show channels'), []);
  const [channels] = apiBodies('esl-inbound/api-show-channels-json-one-call.esl');
  const rows = parseShowJsonRows(channels ?? '', 'show channels');
  assert.equal(rows.length, 1);
  assert.match(String((rows[0] as Record<string, unknown>)['uuid']), /^[0-9a-f-]{36}$/);
  const [registrations] = apiBodies('esl-control/api-registrations-two-users.esl');
  assert.equal(parseShowJsonRows(registrations ?? '', 'show registrations').length, 2);
});

test('an error reply or a broken envelope throws instead of meaning "no rows"', () => {
  assert.throws(() => parseShowJsonRows('-ERR no reply\n', 'show x'), /show x: not JSON: -ERR no reply/);
  assert.throws(() => parseShowJsonRows('[]', 'show x'), /not a JSON object/);
  assert.throws(() => parseShowJsonRows('{"rows":[]}', 'show x'), /no valid row_count/);
  assert.throws(() => parseShowJsonRows('{"row_count":1,"rows":{}}', 'show x'), /rows is not an array/);
  assert.throws(() => parseShowJsonRows('{"row_count":2,"rows":[{}]}', 'show x'), /row_count 2 but 1 rows/);
});
