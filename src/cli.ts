/**
 * The `freecti` command. `freecti` / `freecti start` runs the service until SIGTERM or
 * SIGINT; `freecti check-config` prints the effective configuration with secrets
 * redacted. A problem at start-up is ONE line on stderr (`freecti: config http.port:
 * ...`) and exit code 1, never a stack trace.
 */
import { loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { isFreectiError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { redactUrl } from './redis.js';
import type { Service } from './service.js';

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const USAGE = `Usage: freecti [command]

Commands:
  start          run the service (the default)
  check-config   validate the configuration and print it, secrets redacted
  fs-config      print the FreeSWITCH configuration for this deployment (docs/routing.md)
  migrate-dialplan <file|dir> [--dry-run] [--socket host:port]
                 rewrite mod_cti/nacd applications of a dialplan into the freecti form
                 (docs/migration.md); the original is kept as <file>.mod_cti.bak
  import-config <cti.json> [cti.conf.xml]
                 print a freecti config file (YAML) made from mod_cti's configuration;
                 what could not be carried over goes to stderr
  help           show this help (also --help, -h)
  version        show the version (also --version, -v)

Configuration: defaults, then the JSON or YAML file named by FREECTI_CONFIG, then
environment variables: REDIS_URL, FREECTI_FS ([name=]password@host:port,...),
FREECTI_HTTP (host:port), FREECTI_ESL_OUTBOUND (host:port), FREECTI_CLI_KEY,
FREECTI_LOG_LEVEL. Every setting: docs/configuration.md.
`;

const defaultIo: CliIo = {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs one command; resolves with the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [command = 'start', ...rest] = argv;
  if (command === 'migrate-dialplan' || command === 'import-config') {
    const { migrateDialplanCommand, importConfigCommand } = await import('./migrate/commands.js');
    const commandIo = { stdout: io.stdout, stderr: io.stderr, config: () => load(io) };
    return command === 'migrate-dialplan' ? migrateDialplanCommand(rest, commandIo) : importConfigCommand(rest, commandIo);
  }
  if (rest.length > 0) return fail(io, `unexpected argument '${rest[0] ?? ''}' (see freecti --help)`, 2);
  switch (command) {
    case 'help':
    case '--help':
    case '-h':
      io.stdout(USAGE);
      return 0;
    case 'version':
    case '--version':
    case '-v':
      io.stdout(`${(await import('./service.js')).packageVersion()}\n`);
      return 0;
    case 'check-config':
      return checkConfig(io);
    case 'fs-config':
      return fsConfig(io);
    case 'start':
      return start(io);
    default:
      return fail(io, `unknown command '${command}' (see freecti --help)`, 2);
  }
}

function checkConfig(io: CliIo): number {
  const config = load(io);
  if (config === undefined) return 1;
  io.stdout(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
  return 0;
}

/** `freecti fs-config` (src/fs-config): prints the snippets, or one line why it refuses. */
async function fsConfig(io: CliIo): Promise<number> {
  const config = load(io);
  if (config === undefined) return 1;
  const { generateFsConfig, renderFsConfig } = await import('./fs-config/generate.js');
  try {
    io.stdout(renderFsConfig(generateFsConfig(config), config));
    return 0;
  } catch (error) {
    if (isFreectiError(error)) return fail(io, error.message, 1);
    throw error;
  }
}

async function start(io: CliIo): Promise<number> {
  const config = load(io);
  if (config === undefined) return 1;
  const logger = createLogger(config.log.level);
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection; exiting');
    process.exit(1);
  });
  let service: Service;
  try {
    // Loaded here so that check-config and --help need neither fastify nor the ESL pool.
    const { startService } = await import('./service.js');
    service = await startService(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, 'freecti could not start');
    return fail(io, (error as Error).message, 1);
  }
  return waitForSignal(service, logger);
}

/** Resolves with 0 once a SIGTERM/SIGINT has stopped the service; a second signal exits at once. */
function waitForSignal(service: Service, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'signal received, shutting down');
      void service.stop().then(() => resolve(0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

function load(io: CliIo): Config | undefined {
  try {
    return loadConfig(io.env);
  } catch (error) {
    if (isFreectiError(error)) {
      fail(io, error.message, 1);
      return undefined;
    }
    throw error;
  }
}

function fail(io: CliIo, message: string, code: number): number {
  io.stderr(`freecti: ${message.replace(/\s*[\r\n]+\s*/g, ' ')}\n`);
  return code;
}

const REDACTED = '[redacted]';
/** Settings whose value is a secret, wherever they appear (node passwords, CLI and admin keys...). */
const SECRET_NAMES = /^(password|key|keys|credentials|secret|token)$/i;

/** The config with every secret replaced, including a password inside the Redis URL. */
export function redactConfig(config: Config): Config {
  const redacted = redactSecrets(config) as Config;
  return { ...redacted, redis: { ...redacted.redis, url: redactUrl(config.redis.url) } };
}

function redactSecrets(value: unknown, name = ''): unknown {
  if (SECRET_NAMES.test(name)) return Array.isArray(value) ? value.map(() => REDACTED) : REDACTED;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === undefined ? v : redactSecrets(v, k)]));
  }
  return value;
}
