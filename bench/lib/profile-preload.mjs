/**
 * Profiles a bench's server roles with V8's sampling profiler (docs/performance.md,
 * "Routing" → "On a quiet machine, with a profile"). NODE_OPTIONS does not accept
 * --cpu-prof, so this preload starts `inspector`'s Profiler in the processes whose
 * `--role` is listed in BENCH_PROFILE_ROLES (default `freecti,peer`) and writes
 * `<role>-<pid>.cpuprofile` into BENCH_PROFILE_DIR (default the working directory) when
 * the bench ends the role with SIGTERM:
 *
 *     NODE_OPTIONS="--import ./bench/lib/profile-preload.mjs" BENCH_PIN=1 npm run bench:routing
 *     node bench/lib/profile-summary.mjs freecti-*.cpuprofile peer-*.cpuprofile
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const at = process.argv.indexOf('--role');
const role = at >= 0 ? process.argv[at + 1] : undefined;
const roles = (process.env.BENCH_PROFILE_ROLES ?? 'freecti,peer').split(',');
if (role !== undefined && roles.includes(role)) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')));
  process.prependListener('SIGTERM', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error === null) writeFileSync(join(process.env.BENCH_PROFILE_DIR ?? '.', `${role}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
      process.exit(0);
    });
  });
}
