/**
 * migrate-dialplan on files it cannot read or write: one line naming the file and the
 * reason, exit 1, no stack trace; the original is left whole, no backup is left behind
 * (so the migration can run again), and the other files are still migrated.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { runCli } from '../../src/cli.js';

const MOD_CTI = '<action application="cti_curl" data="http://127.0.0.1/x"/>\n';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { env: {}, stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe('migrate-dialplan: files it cannot write', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'freecti-migrate-err-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('a failed write leaves the original and no backup; the next file is still migrated', async () => {
    await writeFile(join(dir, 'a.xml'), MOD_CTI);
    await writeFile(join(dir, 'b.xml'), MOD_CTI);
    // Something in the way of a.xml's new text (a directory where the temporary file goes).
    await mkdir(join(dir, 'a.xml.freecti-tmp'));
    const { code, out, err } = await cli(['migrate-dialplan', dir, '--socket', '127.0.0.1:8084']);
    assert.equal(code, 1);
    assert.match(err, /^freecti: .*a\.xml: cannot write: E[A-Z]+; file left as it is\n$/);
    assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
    assert.equal(await readFile(join(dir, 'a.xml'), 'utf8'), MOD_CTI);
    assert.match(await readFile(join(dir, 'b.xml'), 'utf8'), /data="127\.0\.0\.1:8084 async full"/);
    assert.match(out, /b\.xml: written/);
    assert.deepEqual((await readdir(dir)).sort(), ['a.xml', 'a.xml.freecti-tmp', 'b.xml', 'b.xml.mod_cti.bak']);
    // Once the obstacle is gone the same command migrates a.xml: nothing was half done.
    await rm(join(dir, 'a.xml.freecti-tmp'), { recursive: true });
    assert.equal((await cli(['migrate-dialplan', join(dir, 'a.xml'), '--socket', '127.0.0.1:8084'])).code, 0);
    assert.match(await readFile(join(dir, 'a.xml'), 'utf8'), /async full/);
  });

  it('a file that cannot be read is reported with the reason, not thrown', async () => {
    // /proc/self/mem is a regular file to stat() whose read at offset 0 fails (EIO) for any user.
    const { code, err } = await cli(['migrate-dialplan', '/proc/self/mem', '--socket', '127.0.0.1:8084']);
    assert.equal(code, 1);
    assert.equal(err, 'freecti: /proc/self/mem: cannot read: EIO\n');
  });

  it('the rewritten file keeps its permission bits', async () => {
    await writeFile(join(dir, 'a.xml'), MOD_CTI);
    await chmod(join(dir, 'a.xml'), 0o640);
    assert.equal((await cli(['migrate-dialplan', join(dir, 'a.xml'), '--socket', '127.0.0.1:8084'])).code, 0);
    assert.equal((await stat(join(dir, 'a.xml'))).mode & 0o777, 0o640);
  });
});
