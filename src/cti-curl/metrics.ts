/** cti_curl metrics: `freecti_cti_curl_calls_total{outcome}`. */
import { Counter, type Registry } from 'prom-client';

export type CurlOutcome = 'ended' | 'handed-back' | 'failed';

export function curlCounter(registry: Registry | undefined): (outcome: CurlOutcome) => void {
  const name = 'freecti_cti_curl_calls_total';
  const counter =
    (registry?.getSingleMetric(name) as Counter | undefined) ??
    new Counter({
      name,
      help: 'cti_curl calls by outcome: ended (its actions hung up, bridged or transferred), handed_back (the dialplan went on), failed (back to the dialplan after a failure).',
      labelNames: ['outcome'],
      registers: registry === undefined ? [] : [registry],
    });
  return (outcome) => counter.inc({ outcome: outcome.replace('-', '_') });
}
