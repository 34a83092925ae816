/**
 * The dialplan router reads the mod_xml_curl form lazily (XmlCurlRequest.get, only the
 * fields the route match and the URL template use). Whatever it reads must equal what
 * the full decode (URLSearchParams, first value wins) gives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webhookRequest } from '../../src/routing/router.js';
import { routeSchema } from '../../src/routing/route-schema.js';
import { expandTemplate } from '../../src/routing/template.js';
import { huntTarget, lookupVariable } from '../../src/routing/variables.js';
import { parseXmlCurlForm } from '../../src/xml-curl/request.js';
import { recordedRequest } from '../xml-curl/harness.js';

const ALIAS_NAMES = ['destination_number', 'caller_id_number', 'caller_id_name', 'ani', 'aniii', 'rdnis', 'username', 'network_addr', 'source',
  'context', 'dialplan', 'chan_name', 'channel_name', 'uuid', 'call_uuid', 'direction', 'hostname', 'core_uuid', 'nothing_here'];

function decodedAll(body: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(body)) if (!map.has(name)) map.set(name, value);
  return map;
}

function assertSameLookups(body: string): void {
  const lazy = parseXmlCurlForm(body);
  const full = decodedAll(body);
  const names = [...ALIAS_NAMES, ...full.keys(), ...[...full.keys()].map((n) => n.replace(/^variable_/, ''))];
  for (const name of names) assert.equal(lookupVariable(lazy, name), lookupVariable(full, name), name);
  assert.deepEqual(huntTarget(lazy), huntTarget(full));
  const template = 'http://app:8080/r/${context}?n=${destination_number}&u=${uuid}&cid=${caller_id_name}&x=${sip_call_id}&y=${zzz}&n2=${destination_number}';
  assert.equal(expandTemplate(template, lazy), expandTemplate(template, full));
  for (const extra of [{}, { method: 'POST' }, { method: 'POST', body: 'json' }]) {
    const route = routeSchema.parse({ id: 'r', context: 'default', url: template, ...extra });
    const uuid = lookupVariable(full, 'uuid');
    assert.deepEqual(webhookRequest(route, parseXmlCurlForm(body), uuid), webhookRequest(route, full, uuid), JSON.stringify(extra));
  }
}

test('the recorded dialplan request: lazy lookups, the URL and POST bodies equal the full decode', () => {
  const body = recordedRequest('dialplan-call-1000-to-1001').body;
  assertSameLookups(body);
  const lazy = parseXmlCurlForm(body);
  assert.deepEqual(huntTarget(lazy), { context: 'default', destination: '1001', uuid: '4bbe7137-63d5-417f-813b-44e1d04df14d' });
  assert.equal(expandTemplate('http://a/r?n=${destination_number}&cid=${sip_call_id}', lazy), 'http://a/r?n=1001&cid=1-32196%40127.0.0.1');
});

test('%-escapes, "+" (a space; FreeSWITCH sends a real plus as %2B), repeated fields and broken escapes', () => {
  const body = [
    'section=dialplan', 'Hunt-Context=default', 'Hunt-Destination-Number=%2B49+30%20123', 'Hunt-Destination-Number=999',
    'Caller-Caller-ID-Name=Jo+Doe%2C%20Jr.', 'Unique-ID=u-1', 'Unique-ID=u-2', 'variable_sip_call_id=a%2', 'variable_bad=%E0%A4%A',
    'variable_empty', 'variable_utf=%C3%A9t%C3%A9', 'Hunt-ANI=',
  ].join('&');
  assertSameLookups(body);
  const lazy = parseXmlCurlForm(body);
  assert.deepEqual(huntTarget(lazy), { context: 'default', destination: '+49 30 123', uuid: 'u-1' });
  assert.equal(lookupVariable(lazy, 'caller_id_name'), 'Jo Doe, Jr.');
  assert.equal(lookupVariable(lazy, 'sip_call_id'), 'a%2');
  assert.equal(lookupVariable(lazy, 'utf'), 'été');
  assert.equal(lookupVariable(lazy, 'empty'), '');
});
