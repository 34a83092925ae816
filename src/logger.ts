import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout (pino). Secrets are redacted wherever they appear in log objects. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'freecti' },
    redact: { paths: ['password', '*.password', 'key', '*.key', 'config.cli.key'], censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
