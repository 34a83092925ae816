/** Files FreeSWITCH reads and writes, and the URL prefix check (src/fs-lang/media.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { urlAllowed } from '../../src/fs-lang/media.js';
import { PolicyRefusal } from '../../src/fs-lang/policy.js';
import { seedPolicy } from './corpus.js';

const policy = seedPolicy();

test('urlAllowed: same scheme and host, port when the prefix names one, path at a segment boundary', () => {
  const prefixes = ['http://127.0.0.1', 'http://ip/', 'https://media.example.com:8443/sounds', 'http://[::1]'];
  for (const url of [
    'http://127.0.0.1/x.wav', 'http://127.0.0.1:9989/tts?text=a', 'http://ip/uploads/a.wav', 'http://IP/uploads/a.wav', 'https://media.example.com:8443/sounds',
    'https://media.example.com:8443/sounds/a.wav', 'http://[::1]:8080/a', 'http://ip/../x', 'http://0x7f.1/x',
  ]) {
    assert.equal(urlAllowed(url, prefixes), true, url);
  }
  for (const url of [
    'http://169.254.169.254/latest', 'https://127.0.0.1/x', 'http://127.0.0.2/x', 'http://ip.evil.example.com/', 'http://ip@evil.example.com/', 'http://user:pw@127.0.0.1/x',
    'http://127.0.0.1@169.254.169.254/', 'https://media.example.com/sounds/a.wav', 'https://media.example.com:8443/soundsX/a.wav', 'https://media.example.com:8443/other',
    'ftp://127.0.0.1/x', 'file:///etc/passwd', 'not a url', '', 'http://', 'javascript:alert(1)',
  ]) {
    assert.equal(urlAllowed(url, prefixes), false, url);
  }
  assert.equal(urlAllowed('http://127.0.0.1/x', []), false);
  assert.equal(urlAllowed('http://127.0.0.1/x', ['not a url']), false);
});

test('media: sound paths, safe schemes and URLs under the prefixes pass', () => {
  for (const file of [
    '声音文件路径', '/x/y.wav', 'ivr/ivr-welcome.wav', '$${sounds_dir}/a.wav', '$${hold_music}', 'tone_stream://%(2000,4000,440,480)', 'silence_stream://1000', 'local_stream://moh',
    'say:hello', 'phrase:voicemail_hello', 'file_string://文件1.wav!文件2.wav', 'file_string://http://ip/a.wav!b.wav', 'http://127.0.0.1:9989/tts?text=这个测试', 'http_cache://http://ip/a.wav',
    'shout://127.0.0.1/a.mp3', '${uuid}.wav',
  ]) {
    policy.media(file, 'test');
  }
});

test('media: other schemes, other hosts, .. and refused expansions are refused', () => {
  for (const file of [
    '', 'http://169.254.169.254/', 'shell_stream://id', 'vlc://x', 'https://evil.example.com/a.wav', 'http_cache://http://evil.example.com/a', 'shout://evil.example.com/a.mp3',
    'file_string://a.wav!http://evil.example.com/b', '../etc/passwd', '/a/../../etc/passwd', '${system(ls)}', '${x:0:1}', 'a\nb',
  ]) {
    assert.throws(() => policy.media(file, 'test'), PolicyRefusal, JSON.stringify(file));
  }
});

test('recordPath: under a record dir, no .., or exactly ${record_filename}', () => {
  for (const path of ['$${recordings_dir}/a.wav', '$${recordings_dir}/${strftime(%Y-%m-%d)}/${uuid}.wav', '/fs/recording/2022/a.wav', '${record_filename}', '\\${record_filename}']) {
    policy.recordPath(path, 'test');
  }
  for (const path of ['/etc/x', '/fs/recording/', '/fs/recording', '/fs/recordingX/a.wav', '/fs/recording/../x', '$${recordings_dir}/../x', '$${conf_dir}/x', '${record_filename}x', '/fs/recording/a b.wav', '']) {
    assert.throws(() => policy.recordPath(path, 'test'), PolicyRefusal, path);
  }
});
