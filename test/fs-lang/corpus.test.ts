/**
 * The adversarial corpus (corpus.ts): every entry, sent directly and wrapped, is refused
 * by FsPolicy with a PolicyRefusal; every seed 003 example passes with the key scope.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PolicyRefusal } from '../../src/fs-lang/policy.js';
import { CORPUS, WRAPPED, SEED_003_EXAMPLES, deliver, describeAttack, keyScope, seedPolicy, type Attack, type AttackClass } from './corpus.js';

const policy = seedPolicy();

function refusal(a: Attack): unknown {
  try {
    deliver(policy, a);
    return undefined;
  } catch (error) {
    return error;
  }
}

function assertRefused(a: Attack): void {
  const error = refusal(a);
  assert.ok(error !== undefined, `accepted: ${describeAttack(a)}`);
  assert.ok(error instanceof PolicyRefusal, `threw ${String(error)} instead of a PolicyRefusal for ${describeAttack(a)}`);
}

const CLASSES: readonly AttackClass[] = [
  'run-time assembly',
  'hook variables',
  'indirect names',
  'handing the call away',
  'secrets and network',
  'wrappers',
  'quoting and escaping',
  'toll fraud',
];

test('the corpus holds at least 300 direct entries covering every class, each wrapped too', () => {
  assert.ok(CORPUS.length >= 300, `only ${CORPUS.length} entries`);
  for (const klass of CLASSES) assert.ok(CORPUS.filter((a) => a.class === klass).length >= 10, `class '${klass}' has fewer than 10 entries`);
  assert.ok(WRAPPED.length >= 3 * CORPUS.length, `only ${WRAPPED.length} wrapped forms`);
  const direct = new Set(CORPUS.map(describeAttack));
  assert.equal(direct.size, CORPUS.length, 'duplicate corpus entries');
  console.log(`corpus: ${CORPUS.length} direct, ${WRAPPED.length} wrapped`);
});

for (const klass of CLASSES) {
  describe(`refused directly: ${klass}`, () => {
    for (const a of CORPUS.filter((x) => x.class === klass)) {
      test(describeAttack(a), () => assertRefused(a));
    }
  });
}

for (const klass of CLASSES) {
  describe(`refused wrapped: ${klass}`, () => {
    for (const a of WRAPPED.filter((x) => x.class === klass)) {
      test(describeAttack(a), () => assertRefused(a));
    }
  });
}

describe('seed 003 examples pass with the key scope', () => {
  for (const example of SEED_003_EXAMPLES) {
    test(`${example.what}: ${example.cmd} ${example.arg.slice(0, 80)}`, () => {
      const checked = policy.command(example.cmd, example.arg, keyScope(example.grant));
      assert.deepEqual(checked.exactUsed, [...(example.grant ?? [])], 'only mod_cti\'s own commands need an exact grant');
    });
  }
});
