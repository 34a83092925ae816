#!/usr/bin/env bash
# REGISTER storm on the real FreeSWITCH (see storm.ts). Holds /tmp/freeswitch.lock while it runs:
# only one user of the machine's FreeSWITCH at a time. Environment: STORM_RUNS, STORM_COUNT, STORM_RATE,
# STORM_DIRS, STORM_PROF (see storm.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec flock /tmp/freeswitch.lock node --import tsx scripts/register-storm/storm.ts "$@"
