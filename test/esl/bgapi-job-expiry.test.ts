/**
 * A bgapi job whose BACKGROUND_JOB never comes does not stay in the connection's map of
 * jobs: it expires after jobTimeoutMs (or the longest wait asked of it), its waiters fail
 * with ESL_TIMEOUT, and the map is empty again. Real TCP to the fake FreeSWITCH; the
 * timers are node:test's mock timers (no real waiting).
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { EslConnection } from '../../src/esl/connection.js';
import { isFreectiError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';

const logger = createLogger('silent');
let fake: FakeFreeSwitch;
const open: EslConnection[] = [];

async function connected(jobTimeoutMs: number): Promise<EslConnection> {
  const connection = new EslConnection(connect({ host: fake.host, port: fake.port }), { commandTimeoutMs: 5000, jobTimeoutMs, logger });
  open.push(connection);
  await once(connection, 'auth-request');
  assert.equal((await connection.command('auth ClueCon')).replyText, '+OK accepted');
  assert.equal((await connection.command('event plain BACKGROUND_JOB')).replyText, '+OK event listener enabled plain');
  return connection;
}

const isTimeout = (error: unknown): boolean => isFreectiError(error, 'ESL_TIMEOUT');

before(async () => {
  fake = await FakeFreeSwitch.start();
  // FreeSWITCH accepts the job and never sends its BACKGROUND_JOB.
  fake.onApi('lost_job', () => new Promise<string>(() => undefined));
  fake.onApi('echo', (args) => `${args}\n`);
});
after(async () => {
  mock.timers.reset();
  for (const connection of open) connection.destroy();
  await fake.close();
});

describe('bgapi jobs expire', () => {
  it('1,000 jobs that never report, nobody waiting: all forgotten after jobTimeoutMs', async () => {
    const connection = await connected(30_000);
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    try {
      const jobs = [];
      for (let i = 0; i < 1000; i++) jobs.push(await connection.bgapi('lost_job', String(i)));
      assert.equal(connection.pendingJobs, 1000);
      mock.timers.tick(29_999);
      assert.equal(connection.pendingJobs, 1000);
      mock.timers.tick(1);
      // The rejections settle on the next turns of the microtask queue.
      await Promise.allSettled(jobs.map((job) => job.wait()));
      assert.equal(connection.pendingJobs, 0);
      await assert.rejects(jobs[0]!.wait(), isTimeout);
    } finally {
      mock.timers.reset();
    }
  });

  it('a waiter ready to wait longer keeps its job until its own timeout, then it fails and is forgotten', async () => {
    const connection = await connected(1_000);
    mock.timers.enable({ apis: ['setTimeout', 'Date'] });
    try {
      const job = await connection.bgapi('lost_job', 'long');
      const waiting = job.wait({ timeoutMs: 10_000 });
      mock.timers.tick(5_000);
      assert.equal(connection.pendingJobs, 1, 'still waited for past jobTimeoutMs');
      mock.timers.tick(5_000);
      await assert.rejects(waiting, isTimeout);
      assert.equal(connection.pendingJobs, 0);
    } finally {
      mock.timers.reset();
    }
  });

  it('a job that reports is removed at once and its expiry cleared', async () => {
    const connection = await connected(1_000);
    const job = await connection.bgapi('echo', 'done');
    assert.equal(await job.wait(), 'done\n');
    assert.equal(connection.pendingJobs, 0);
    // The connection still works: the late timer of that job does nothing.
    assert.equal(await connection.api('echo', 'next'), 'next\n');
  });
});
