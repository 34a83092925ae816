/**
 * Process entry point of the `freecti` command (bin/freecti.js imports it): runs the
 * CLI with the process arguments and exits with its code.
 */
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// The service may leave reconnect timers of a failed start behind; a finished `start`
// (after a signal) exits at once instead of waiting for them.
if (code !== 0 || process.argv[2] === undefined || process.argv[2] === 'start') process.exit(code);
