import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkUrlTemplate, expandTemplate } from '../../src/routing/template.js';
import { huntTarget, lookupVariable } from '../../src/routing/variables.js';
import { parseXmlCurlForm } from '../../src/xml-curl/request.js';
import { recordedRequest } from '../xml-curl/harness.js';

const fields = parseXmlCurlForm(recordedRequest('dialplan-call-1000-to-1001').body).fields;

test('channel variable names map to the recorded request fields', () => {
  assert.equal(lookupVariable(fields, 'destination_number'), '1001');
  assert.equal(lookupVariable(fields, 'caller_id_number'), '1000');
  assert.equal(lookupVariable(fields, 'caller_id_name'), '1000');
  assert.equal(lookupVariable(fields, 'uuid'), '4bbe7137-63d5-417f-813b-44e1d04df14d');
  assert.equal(lookupVariable(fields, 'context'), 'default');
  assert.equal(lookupVariable(fields, 'network_addr'), '127.0.0.1');
  assert.equal(lookupVariable(fields, 'sip_from_user'), '1000', 'variable_sip_from_user');
  assert.equal(lookupVariable(fields, 'Caller-Destination-Number'), '1001', 'raw field name');
  assert.equal(lookupVariable(fields, 'variable_sip_call_id'), '1-32196@127.0.0.1');
  assert.equal(lookupVariable(fields, 'nothing_here'), '');
  assert.deepEqual(huntTarget(fields), { context: 'default', destination: '1001', uuid: '4bbe7137-63d5-417f-813b-44e1d04df14d' });
});

test('Hunt-* wins over Caller-* (it follows transfers)', () => {
  const moved = new Map(fields);
  moved.set('Hunt-Context', 'public');
  moved.set('Hunt-Destination-Number', '5555');
  assert.deepEqual(huntTarget(moved), { context: 'public', destination: '5555', uuid: '4bbe7137-63d5-417f-813b-44e1d04df14d' });
});

test('expansion url-encodes every value and leaves the rest of the template alone', () => {
  const url = expandTemplate('http://app:8080/r?n=${destination_number}&cid=${sip_call_id}&ch=${Channel-Name}&x=${zzz}', fields);
  assert.equal(url, 'http://app:8080/r?n=1001&cid=1-32196%40127.0.0.1&ch=sofia%2Finternal%2F1000%40127.0.0.1&x=');
  const evil = new Map([['Hunt-Destination-Number', '1&admin=1#/../x y']]);
  assert.equal(expandTemplate('http://a/r?n=${destination_number}', evil), 'http://a/r?n=1%26admin%3D1%23%2F..%2Fx%20y');
});

test('templates are checked', () => {
  assert.equal(checkUrlTemplate('http://127.0.0.1:8080/route?number=${destination_number}'), undefined);
  assert.equal(checkUrlTemplate('https://app.example/r/${uuid}'), undefined);
  assert.match(checkUrlTemplate('http://${x}/r') ?? '', /host/);
  assert.match(checkUrlTemplate('http://u:p@app/r') ?? '', /credentials/);
  assert.match(checkUrlTemplate('/relative') ?? '', /absolute/);
  assert.match(checkUrlTemplate('file:///etc/passwd') ?? '', /absolute/);
  assert.match(checkUrlTemplate('http://a/r?${a b}') ?? '', /only/);
  assert.match(checkUrlTemplate('http://a/r?${strftime(%Y)}') ?? '', /only/);
});
