/**
 * `freecti migrate-dialplan` on sample dialplans written from the seeds
 * (test/fixtures/migration/): the golden files byte for byte, what it prints, what it
 * leaves, backups, dry runs, and the XML spans it must not touch.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli.js';
import { escapeTemplate, migrateDialplan } from '../../src/migrate/dialplan.js';
import { fixturePath } from './paths.js';

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { env, stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe('freecti migrate-dialplan on the seed samples', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'freecti-migrate-'));
    await cp(fixturePath('dialplan'), dir, { recursive: true });
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('a dry run prints what it would change and writes nothing', async () => {
    const { code, out } = await cli(['migrate-dialplan', dir, '--dry-run']);
    assert.equal(code, 0, 'every line of the samples migrates: exit 0');
    assert.match(out, /public\.xml:10: cti_curl: would change: set cti_curl=<URL template> \+ socket/);
    assert.match(out, /dry run: nothing written/);
    assert.equal(await readFile(join(dir, 'public.xml'), 'utf8'), await readFile(fixturePath('dialplan/public.xml'), 'utf8'));
  });

  it('rewrites every file to the golden output byte for byte, keeps the originals, and lists what it left', async () => {
    const { code, out, err } = await cli(['migrate-dialplan', dir]);
    assert.equal(err, '');
    assert.equal(code, 0);
    for (const name of ['public.xml', 'default.xml']) {
      assert.equal(await readFile(join(dir, name), 'utf8'), await readFile(fixturePath(`expected/${name}`), 'utf8'), name);
      assert.equal(await readFile(join(dir, `${name}.mod_cti.bak`), 'utf8'), await readFile(fixturePath(`dialplan/${name}`), 'utf8'));
    }
    const lines = out.split('\n');
    const left = lines.filter((l) => l.includes('NOT migrated'));
    assert.deepEqual(left, []);
    assert.match(out, /default\.xml:19: nin_did: changed: set nacd_did=in \+ socket: freecti looks the dialed number up in its DID-in table/);
    assert.match(out, /default\.xml:24: nout_did: changed: set nacd_did=out \+ socket: freecti looks the caller's number up in its DID-out table/);
    assert.match(out, /default\.xml:29: nacd: changed: set nacd_group=<group> \+ socket: freecti runs the HTTP callflow/);
    assert.match(out, /default\.xml:34: nbridge: changed: set cti_nbridge=<dial string> \+ socket: freecti bridges with the caller's DID-out caller id and line group/);
    assert.match(out, /default\.xml:37: nbridge: changed: set cti_nbridge=<dial string> \+ socket/);
    assert.match(out, /2 file\(s\) read; 0 line\(s\) not migrated/);
  });

  it('a second run finds nothing left to change in a migrated file; a file whose backup exists is not touched', async () => {
    const again = await cli(['migrate-dialplan', join(dir, 'public.xml')]);
    assert.deepEqual([again.code, again.out], [0, '1 file(s) read; 0 line(s) not migrated\n']);
    await writeFile(join(dir, 'public.xml'), await readFile(fixturePath('dialplan/public.xml')));
    const { code, err } = await cli(['migrate-dialplan', join(dir, 'public.xml')]);
    assert.equal(code, 1);
    assert.match(err, /public\.xml\.mod_cti\.bak exists/);
    assert.equal(await readFile(join(dir, 'public.xml'), 'utf8'), await readFile(fixturePath('dialplan/public.xml'), 'utf8'));
  });

  it('--socket overrides the configured outbound address; without it the config (FREECTI_ESL_OUTBOUND) decides', async () => {
    const one = await mkdtemp(join(tmpdir(), 'freecti-migrate-'));
    try {
      await writeFile(join(one, 'a.xml'), '<action application="cti_curl" data="http://127.0.0.1/x"/>\n');
      await writeFile(join(one, 'b.xml'), '<action application="cti_curl" data="http://127.0.0.1/x"/>\n');
      assert.equal((await cli(['migrate-dialplan', join(one, 'a.xml'), '--socket', '10.0.0.5:9000'])).code, 0);
      assert.equal((await cli(['migrate-dialplan', join(one, 'b.xml')], { FREECTI_ESL_OUTBOUND: '[::1]:8099' })).code, 0);
      assert.match(await readFile(join(one, 'a.xml'), 'utf8'), /data="10\.0\.0\.5:9000 async full"/);
      assert.match(await readFile(join(one, 'b.xml'), 'utf8'), /data="\[::1\]:8099 async full"/);
      assert.deepEqual((await readdir(one)).sort(), ['a.xml', 'a.xml.mod_cti.bak', 'b.xml', 'b.xml.mod_cti.bak']);
    } finally {
      await rm(one, { recursive: true, force: true });
    }
  });

  it('a line freecti has no equivalent for (nwaycallout) is left as it is and listed: exit 3; nacd without a group takes the dialed number', async () => {
    const one = await mkdtemp(join(tmpdir(), 'freecti-migrate-'));
    try {
      const text = '<action application="nwaycallout" data="list1"/>\n<action application="nacd" data=""/>\n';
      await writeFile(join(one, 'a.xml'), text);
      const { code, out } = await cli(['migrate-dialplan', join(one, 'a.xml'), '--socket', '127.0.0.1:8084']);
      assert.equal(code, 3);
      assert.match(out, /a\.xml:1: nwaycallout: NOT migrated: nacd's nwaycallout is a REST campaign in freecti \(POST \/api\/v1\/nacd\/callouts/);
      assert.equal(
        await readFile(join(one, 'a.xml'), 'utf8'),
        '<action application="nwaycallout" data="list1"/>\n<action application="set" data="nacd_group=@dialed"/>\n<action application="socket" data="127.0.0.1:8084 async full"/>\n',
      );
    } finally {
      await rm(one, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2 with one line', async () => {
    assert.equal((await cli(['migrate-dialplan'])).code, 2);
    assert.equal((await cli(['migrate-dialplan', 'x', '--socket', 'nonsense'])).code, 2);
    assert.equal((await cli(['migrate-dialplan', 'x', '--bogus'])).code, 2);
    const missing = await cli(['migrate-dialplan', '/nonexistent/dialplan', '--socket', '127.0.0.1:8084']);
    assert.deepEqual([missing.code, missing.err.split('\n').length], [1, 2]);
  });
});

describe('migrateDialplan: text spans only', () => {
  const socket = '127.0.0.1:8084';
  it('keeps CRLF line ends, tabs, odd spacing, comments, CDATA and entities around the edited tag', () => {
    const text = '<include>\r\n\t<!-- <action application="cti_curl" data="x"/> -->\r\n\t<![CDATA[ <action application="cti_bridge" data="y"/> ]]>\r\n\t\t<action  data="http://127.0.0.1/a?b=${x}&amp;c=1"   application="cti_curl" />\r\n<action application="bridge" data="user/1000"/>\r\n</include>\r\n';
    const { text: out, notes } = migrateDialplan(text, { socket });
    assert.equal(notes.length, 1);
    assert.equal(
      out,
      '<include>\r\n\t<!-- <action application="cti_curl" data="x"/> -->\r\n\t<![CDATA[ <action application="cti_bridge" data="y"/> ]]>\r\n\t\t<action application="set" data="cti_curl=http://127.0.0.1/a?b=\\\\\\${x}&amp;c=1"/>\r\n\t\t<action application="socket" data="127.0.0.1:8084 async full"/>\r\n<action application="bridge" data="user/1000"/>\r\n</include>\r\n',
    );
  });

  it('anti-action stays anti-action; a tag with content is reported, not rewritten', () => {
    const { text: out, notes } = migrateDialplan('<anti-action application="cti_bridge" data="http://h/b 1000"/><action application="cti_curl" data="http://h/x"></action>', { socket });
    assert.match(out, /^<anti-action application="set" data="cti_bridge=http:\/\/h\/b 1000"\/>\n<anti-action application="socket"/);
    assert.deepEqual(notes.map((n) => n.changed), [true, false]);
  });

  it("the template keeps ${...} for freecti (escaped from set's two expansions: \\\\\\${), $${globals} as they are", () => {
    assert.equal(escapeTemplate('http://h/a?n=${destination_number}&g=$${domain}&e=\\${uuid}${x}'), 'http://h/a?n=\\\\\\${destination_number}&g=$${domain}&e=\\\\\\${uuid}\\\\\\${x}');
  });

  it('an unreadable tag makes the file fail as a whole (nothing half-rewritten)', () => {
    assert.throws(() => migrateDialplan('<action application="cti_curl" data="x"', { socket }), /cannot read the attributes/);
  });
});
