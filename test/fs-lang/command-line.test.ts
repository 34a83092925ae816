/** API command lines and their wrappers (src/fs-lang/command-line.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine } from '../../src/fs-lang/command-line.js';
import { FsSyntaxError } from '../../src/fs-lang/scan.js';

test('a plain command', () => {
  assert.deepEqual(parseCommandLine('status', ''), { command: 'status', args: '', wrappers: [] });
  assert.deepEqual(parseCommandLine(' Show ', ' channels as json '), { command: 'show', args: 'channels as json', wrappers: [] });
});

test('bgapi, sched_api and expand are unwrapped recursively', () => {
  assert.deepEqual(parseCommandLine('bgapi', 'originate user/1000 &echo'), { command: 'originate', args: 'user/1000 &echo', wrappers: ['bgapi'] });
  assert.deepEqual(parseCommandLine('BGAPI', 'SYSTEM ls'), { command: 'system', args: 'ls', wrappers: ['bgapi'] });
  assert.deepEqual(parseCommandLine('sched_api', '+1 none system ls &'), { command: 'system', args: 'ls', wrappers: ['sched_api'] });
  assert.deepEqual(parseCommandLine('sched_api', '@1234 grp bgapi expand lua x.lua'), { command: 'lua', args: 'x.lua', wrappers: ['sched_api', 'bgapi', 'expand'] });
  assert.deepEqual(parseCommandLine('bgapi', 'bgapi bgapi status'), { command: 'status', args: '', wrappers: ['bgapi', 'bgapi', 'bgapi'] });
  assert.deepEqual(parseCommandLine('expand', 'sofia profile internal restart'), { command: 'sofia', args: 'profile internal restart', wrappers: ['expand'] });
  assert.deepEqual(parseCommandLine('bgapi', 'status\tx').command, 'status', 'a tab separates too');
  const eight = parseCommandLine('bgapi', `${'bgapi '.repeat(7)}status`);
  assert.equal(eight.wrappers.length, 8);
});

test('malformed lines are syntax errors', () => {
  const bad: [string, string][] = [
    ['', ''], ['sys tem', ''], ['sys-tem', 'x'], ['${x}', ''], ['bgapi', ''], ['bgapi', '   '], ['expand', ''], ['bgapi', '${x} ls'], ['bgapi', "'system' ls"],
    ['sched_api', 'soon none status'], ['sched_api', '+1'], ['sched_api', '+1 none'], ['sched_api', '+12345678901 none status'], ['bgapi', `${'bgapi '.repeat(8)}status`],
    ['status', 'a\nb'], ['status\n', ''], ['bgapi', 'status\r\nsystem ls'], ['status', '\x00'],
  ];
  for (const [command, args] of bad) assert.throws(() => parseCommandLine(command, args), FsSyntaxError, JSON.stringify([command, args]));
});
