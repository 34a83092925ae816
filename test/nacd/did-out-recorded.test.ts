/**
 * Contract with the real FreeSWITCH (test/fixtures/freeswitch/did-out/README.md): the dial
 * strings freecti's DID-out builds (src/nacd/did-out.ts) are the ones the recording ran,
 * and FreeSWITCH put the DID, number and name, in the called side's From and
 * Remote-Party-ID, over the A leg's directory caller id ("Extension 1000" <1000>).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { withDidOutCallerId } from '../../src/nacd/did-out.js';
import { fixturePath } from '../helpers/fixtures.js';

const dir = 'did-out';
const read = (name: string): string => readFileSync(fixturePath(`${dir}/${name}`), 'utf8');
const TARGET = 'sofia/internal/13800001111@127.0.0.1:5090';

/** The bridge data of each probe extension (by number). */
function probeBridges(): Map<string, string> {
  const xml = read('probe-dialplan.xml');
  const found = new Map<string, string>();
  for (const m of xml.matchAll(/expression="\^(\d+)\$">\s*<action application="bridge" data="([^"]+)"/g)) found.set(m[1] ?? '', m[2] ?? '');
  return found;
}

/** A header of the first INVITE the UAS received. */
function inviteHeader(file: string, name: string): string {
  const text = read(file);
  const invite = text.slice(text.indexOf('INVITE sip:'));
  const line = invite.split('\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  assert.ok(line !== undefined, `${file}: no ${name} header`);
  return line.slice(name.length + 1).trim();
}

test('the recorded bridge data is what freecti builds: one leg in front, several legs on the leaving leg', () => {
  const bridges = probeBridges();
  assert.equal(bridges.get('5557701'), withDidOutCallerId(TARGET, '4008001234'));
  assert.equal(bridges.get('5557702'), TARGET);
  // A mixed dial string puts it on the leaving leg's own block: the recorded leg is that leg.
  assert.equal(withDidOutCallerId(`user/1001,${TARGET}`, '4008001234'), `user/1001,${bridges.get('5557703') ?? ''}`);
});

test('FreeSWITCH sends the DID as the caller (number and name), over the directory\'s effective caller id', () => {
  for (const file of ['b-leg-invite-did-out-leading-block.sip.txt', 'b-leg-invite-did-out-leg-block.sip.txt']) {
    assert.match(inviteHeader(file, 'From'), /^"4008001234" <sip:4008001234@127\.0\.0\.1>;tag=/);
    assert.match(inviteHeader(file, 'Remote-Party-ID'), /^"4008001234" <sip:4008001234@127\.0\.0\.1>;party=calling/);
  }
  // Without DID-out the internal name and number leave.
  assert.match(inviteHeader('b-leg-invite-no-did-out.sip.txt', 'From'), /^"Extension 1000" <sip:1000@127\.0\.0\.1>;tag=/);
});
