/** nacd metrics: `freecti_nacd_calls_total{outcome}`. */
import { Counter, type Registry } from 'prom-client';
import type { NacdResult } from './callflow.js';

export function nacdCounter(registry: Registry | undefined): (outcome: NacdResult['outcome']) => void {
  const name = 'freecti_nacd_calls_total';
  const counter =
    (registry?.getSingleMetric(name) as Counter | undefined) ??
    new Counter({
      name,
      help: 'nacd callflow calls by outcome: hungup (a reply or the end of a bridge hung up), caller_gone, queued, transferred, fallback (the application failed), handed_back (nout_did without an entry: the dialplan goes on).',
      labelNames: ['outcome'],
      registers: registry === undefined ? [] : [registry],
    });
  return (outcome) => counter.inc({ outcome: outcome.replace('-', '_') });
}
