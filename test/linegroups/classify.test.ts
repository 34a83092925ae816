import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { classify, resultFromEvent, verdictOfCause } from '../../src/linegroups/classify.js';
import { CAUSES, causeName, sipCodeToCause, type CauseName } from '../../src/linegroups/hangup-causes.js';
import { bLegHangup, bridgeComplete, recordedEvents } from './recorded.js';

const causeNames = Object.keys(CAUSES) as CauseName[];

describe('failover classification', () => {
  it('never fails over on user busy or decline (486, 600, 603, Q.850 17 and 21)', () => {
    for (const input of [{ sipCode: 486 }, { sipCode: 600 }, { sipCode: 603 }, { q850: 17 }, { q850: 21 }, { cause: 'USER_BUSY' }, { cause: 'CALL_REJECTED' }]) {
      const c = classify(input);
      assert.equal(c.verdict, 'refused', JSON.stringify(input));
      assert.equal(c.failover, false);
    }
  });

  it('fails over on network and congestion failures', () => {
    for (const cause of ['NORMAL_CIRCUIT_CONGESTION', 'SWITCH_CONGESTION', 'NETWORK_OUT_OF_ORDER', 'NORMAL_TEMPORARY_FAILURE', 'GATEWAY_DOWN', 'RECOVERY_ON_TIMER_EXPIRE', 'DESTINATION_OUT_OF_ORDER']) {
      assert.deepEqual(classify({ cause }), { verdict: 'line-failure', cause, failover: true });
    }
    assert.equal(classify({ sipCode: 503 }).cause, 'NORMAL_TEMPORARY_FAILURE');
    assert.equal(classify({ sipCode: 503 }).failover, true);
    assert.equal(classify({ sipCode: 502 }).failover, true);
    assert.equal(classify({ sipCode: 408 }).failover, true);
  });

  it('an answered call, a cancel and an unknown result never fail over', () => {
    assert.equal(classify({ answered: true, cause: 'NORMAL_CLEARING' }).verdict, 'answered');
    assert.equal(classify({ cause: 'ORIGINATOR_CANCEL' }).verdict, 'neutral');
    assert.deepEqual(classify({}), { verdict: 'neutral', cause: 'UNKNOWN', failover: false });
    assert.equal(classify({ cause: 'NOT_A_CAUSE' }).failover, false);
  });

  it('property: busy/decline SIP codes win over any cause name; fail over only on line failures', () => {
    fc.assert(
      fc.property(fc.constantFrom(...causeNames), fc.constantFrom(486, 600, 603), (cause, sipCode) => {
        const c = classify({ cause, sipCode });
        return c.verdict === 'refused' && !c.failover;
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...causeNames), fc.boolean(), (cause, answered) => {
        const c = classify({ cause, answered });
        if (answered) return c.verdict === 'answered' && !c.failover;
        return c.failover === (verdictOfCause(cause) === 'line-failure') && c.cause === cause;
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 300, max: 699 }), (sipCode) => {
        const c = classify({ sipCode });
        const expected = [486, 600, 603].includes(sipCode) ? 'refused' : verdictOfCause(sipCodeToCause(sipCode));
        return c.verdict === expected && c.failover === (expected === 'line-failure');
      }),
    );
  });

  it('the Q.850 number and the cause name give the same verdict (the seed table round-trips)', () => {
    for (const name of causeNames) {
      assert.equal(causeName(CAUSES[name]), name);
      assert.deepEqual(classify({ q850: CAUSES[name] }), classify({ cause: name }));
    }
  });
});

describe('results read from the recorded FreeSWITCH events', () => {
  it('486 busy: bridge EXECUTE_COMPLETE and B-leg HANGUP_COMPLETE both say refused (no failover)', () => {
    for (const file of ['esl-events/event-plain-all-call-rejected-486-busy', 'esl-events/event-json-all-call-rejected-486-busy']) {
      const events = recordedEvents(file);
      const fromBridge = resultFromEvent(bridgeComplete(events));
      assert.deepEqual({ cause: fromBridge.cause, sipCode: fromBridge.sipCode, answered: fromBridge.answered }, { cause: 'USER_BUSY', sipCode: 486, answered: false });
      assert.deepEqual(classify(fromBridge), { verdict: 'refused', cause: 'USER_BUSY', failover: false });
      const hangup = bLegHangup(events);
      assert.ok(hangup, 'B leg hangup present');
      const fromLeg = resultFromEvent(hangup);
      assert.deepEqual({ cause: fromLeg.cause, sipCode: fromLeg.sipCode, q850: fromLeg.q850, answered: fromLeg.answered }, { cause: 'USER_BUSY', sipCode: 486, q850: 17, answered: false });
    }
  });

  it('unregistered user: USER_NOT_REGISTERED, refused, no B leg', () => {
    const events = recordedEvents('esl-events/event-plain-all-call-to-unregistered-user');
    const result = resultFromEvent(bridgeComplete(events));
    assert.equal(result.cause, 'USER_NOT_REGISTERED');
    assert.equal(classify(result).failover, false);
    assert.equal(bLegHangup(events), undefined);
  });

  it('answered bridge: answered', () => {
    const events = recordedEvents('esl-events/event-plain-all-register-call-answered-caller-hangup-unregister');
    const result = resultFromEvent(bridgeComplete(events));
    assert.equal(result.answered, true);
    assert.equal(classify(result).verdict, 'answered');
    const leg = bLegHangup(events);
    assert.ok(leg);
    assert.equal(resultFromEvent(leg).answered, true);
  });
});
