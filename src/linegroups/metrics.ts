/**
 * Line group metrics (names start with `freecti_linegroup_`), labelled by group and line
 * (both come from the admin configuration, so their number is bounded). Several
 * resolvers on one registry share the same metrics.
 */
import { Counter, type Registry } from 'prom-client';
import type { Verdict } from './classify.js';

export interface LinegroupMetrics {
  /** A released slot: what the attempt said about the line. */
  released(group: string, line: string, verdict: Verdict): void;
  quarantined(group: string, line: string): void;
  noLine(group: string): void;
}

function counter(registry: Registry | undefined, name: string, help: string, labelNames: string[]): Counter {
  return (registry?.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames, registers: registry === undefined ? [] : [registry] });
}

export function linegroupMetrics(registry: Registry | undefined): LinegroupMetrics {
  const calls = counter(registry, 'freecti_linegroup_calls_total', 'Calls carried by a line, by verdict (answered, refused, line-failure, neutral).', ['group', 'line', 'verdict']);
  const quarantines = counter(registry, 'freecti_linegroup_quarantines_total', 'Times a line was put in quarantine after failures in a row.', ['group', 'line']);
  const noLine = counter(registry, 'freecti_linegroup_no_line_total', 'Calls that found no line of the group free (ended with NORMAL_CIRCUIT_CONGESTION).', ['group']);
  return {
    released: (group, line, verdict) => calls.inc({ group, line, verdict }),
    quarantined: (group, line) => quarantines.inc({ group, line }),
    noLine: (group) => noLine.inc({ group }),
  };
}
