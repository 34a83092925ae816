/** cti_bridge metrics: `freecti_bridge_calls_total{result}`. */
import { Counter, type Registry } from 'prom-client';

export type BridgeCallResult = 'answered' | 'not_answered' | 'hangup_reply' | 'no_line' | 'request_failed' | 'bad_reply' | 'caller_gone' | 'error';

export function bridgeCounter(registry: Registry | undefined): (result: BridgeCallResult) => void {
  const name = 'freecti_bridge_calls_total';
  const counter =
    (registry?.getSingleMetric(name) as Counter | undefined) ??
    new Counter({
      name,
      help: 'cti_bridge calls by result: answered, not_answered, hangup_reply, no_line, request_failed, bad_reply, caller_gone, error.',
      labelNames: ['result'],
      registers: registry === undefined ? [] : [registry],
    });
  return (result) => counter.inc({ result });
}
