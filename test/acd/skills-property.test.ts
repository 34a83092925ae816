/**
 * Property (fast-check): whatever the agents' skills and the caller's requirements, the
 * `skills` strategy offers the caller to an agent that meets every minimum, with the best
 * match (highest sum of its levels in the required skills), idle longest among equals; and
 * to nobody when no free agent qualifies.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { agent, harness, queue } from './helpers.js';

const SKILLS = ['fr', 'en', 'de', 'billing'] as const;
const skillSet = fc.dictionary(fc.constantFrom(...SKILLS), fc.integer({ min: 1, max: 10 }), { maxKeys: 3 });

describe('ACD skills property', () => {
  const fx = useRedis();

  it('the chosen agent qualifies and is the best match (100 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(skillSet, { minLength: 1, maxLength: 6 }), skillSet, async (agents, required) => {
        const h = harness(fx.redis, uniquePrefix('prop'));
        await queue(h.engine, 'q', { strategy: 'skills' });
        for (const [i, skills] of agents.entries()) {
          await agent(h.engine, `a${i}`, { skills }, { q: [1, i] });
          await h.engine.setAgentState(`a${i}`, 'available');
          h.clock.advance(1_000); // a0 idle longest
        }
        await h.engine.enqueue({ queue: 'q', callUuid: 'c', node: 'fs1', callerIdNumber: '', callerIdName: '', skills: required });
        const score = (s: Record<string, number>): number | null => {
          let total = 0;
          for (const [name, min] of Object.entries(required)) {
            const lv = s[name];
            if (lv === undefined || lv < min) return null;
            total += lv;
          }
          return total;
        };
        const scores = agents.map(score);
        const best = Math.max(...scores.map((x) => x ?? -1));
        if (best < 0) {
          assert.equal(h.offers.length, 0, 'nobody qualifies: nobody is offered');
          return;
        }
        assert.equal(h.offers.length, 1);
        const expected = `a${scores.findIndex((x) => x === best)}`;
        assert.equal(h.offers[0]!.agent, expected);
      }),
      { numRuns: 100, seed: 1203 },
    );
  });
});
