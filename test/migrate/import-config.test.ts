/**
 * `freecti import-config` on seed-written cti.json / cti.conf.xml
 * (test/fixtures/migration/): the YAML it prints loads with the real config loader, every
 * setting that was not carried over is named; the comment stripper respects strings.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../src/cli.js';
import { loadConfig } from '../../src/config/load.js';
import { parseCommentedJson, stripJsonComments } from '../../src/migrate/json-comments.js';
import { importCtiConfig } from '../../src/migrate/cti-config.js';
import { fixturePath } from './paths.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { env: {}, stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe('freecti import-config', () => {
  it('the seed cti.json and cti.conf.xml become a YAML file that the real loader reads', async () => {
    const { code, out, err } = await cli(['import-config', fixturePath('cti.json'), fixturePath('cti.conf.xml')]);
    assert.equal(code, 0, err);
    const dir = await mkdtemp(join(tmpdir(), 'freecti-import-'));
    try {
      const file = join(dir, 'freecti.yaml');
      await writeFile(file, out);
      const config = loadConfig({ FREECTI_CONFIG: file });
      assert.deepEqual(config.gui.registration, { hash: 'registrations', channel: '', list: '', listMax: 1000, field: 'extension' });
      assert.deepEqual(config.gui.call.fields, ['Caller-Destination-Number', 'Caller-Caller-ID-Number', 'Caller-Callee-ID-Number', 'Caller-Profile-Created-Time', 'Caller-Channel-Answered-Time']);
      assert.deepEqual([config.gui.call.hash, config.gui.call.channel], ['calls', 'cti_calls']);
      assert.deepEqual(config.http, { host: '0.0.0.0', port: 88 });
      assert.equal(config.cli.key, undefined, "the seed's 3-character key is not carried over");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const notCarried = err.split('\n').filter((l) => l.startsWith('NOT carried over: ')).map((l) => l.split(': ')[1]);
    assert.deepEqual(notCarried, [
      'cti.json gui.theme',
      'cti.json license',
      'cti.json robot.asr',
      'cti.json robot.tts.voice',
      'cti.conf.xml debug',
      'cti.conf.xml http_cli/http_server_domain',
      'cti.conf.xml http_cli/http_api_cli_key',
    ]);
    assert.match(err, /http_api_cli_key: freecti requires a key of at least 8 characters/);
    assert.match(out, /^# NOT carried over: cti\.json license: /m, 'the notes are in the file too');
  });

  it('cti.json alone; a long enough key is carried over to cli.key', async () => {
    const imported = importCtiConfig('{"gui": {"call": {"hash": "calls2"}}}', '<configuration><http_cli><param name="http_api_cli_key" value="a-long-key-123"/></http_cli></configuration>');
    assert.deepEqual(imported.config, { gui: { call: { hash: 'calls2' } }, cli: { key: 'a-long-key-123' } });
    const dir = await mkdtemp(join(tmpdir(), 'freecti-import-'));
    try {
      await writeFile(join(dir, 'c.yaml'), imported.yaml);
      assert.equal(loadConfig({ FREECTI_CONFIG: join(dir, 'c.yaml') }).cli.key, 'a-long-key-123');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('bad input: one line and exit 1, or exit 2 for usage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'freecti-import-'));
    try {
      await writeFile(join(dir, 'bad.json'), '{ "gui": { /* never closed }');
      const bad = await cli(['import-config', join(dir, 'bad.json')]);
      assert.deepEqual([bad.code, bad.out], [1, '']);
      assert.match(bad.err, /^freecti: cti\.json: unterminated \/\* comment at line 1\n$/);
      await writeFile(join(dir, 'wrong.json'), '{"gui": {"call": {"fields": "Caller-Destination-Number"}}}');
      const wrong = await cli(['import-config', join(dir, 'wrong.json')]);
      assert.equal(wrong.code, 0);
      assert.match(wrong.err, /NOT carried over: cti\.json gui\.call\.fields: must be a list/);
      assert.equal((await cli(['import-config'])).code, 2);
      assert.equal((await cli(['import-config', join(dir, 'missing.json')])).code, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('stripJsonComments', () => {
  it('removes // and /* */ outside strings, keeps them inside, keeps line numbers, drops trailing commas', () => {
    const text = '{\n  "a": "http://x/*y*/", // c\n  /* multi\n line */ "b": "q\\"//r", \n "c": [1, 2,],\n}';
    const clean = stripJsonComments(text);
    assert.equal(clean.split('\n').length, text.split('\n').length);
    assert.deepEqual(JSON.parse(clean), { a: 'http://x/*y*/', b: 'q"//r', c: [1, 2] });
  });

  it('the seed file parses', async () => {
    const parsed = parseCommentedJson(await readFile(fixturePath('cti.json'), 'utf8')) as { license: string };
    assert.equal(parsed.license, 'http://license.example/check?k=/*not a comment*/');
  });

  it('a JSON error names the line', () => {
    assert.throws(() => parseCommentedJson('{\n// x\n"a": 1\n"b": 2}'), /line 4/);
  });
});
