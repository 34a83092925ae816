/**
 * The two migration commands of `freecti` (src/cli.ts, docs/migration.md):
 *
 *     freecti migrate-dialplan <file|dir> [--dry-run] [--socket host:port]
 *     freecti import-config <cti.json> [cti.conf.xml] > freecti.yaml
 *
 * migrate-dialplan prints one line per mod_cti/nacd application found (changed, or left
 * with the reason) and exits 0 when everything was migrated, 3 when some lines were left
 * as they are (the rest is still written), 1 on an unreadable file. The outbound socket
 * address comes from `--socket`, else the configuration (`eslOutbound`, as `fs-config`).
 * import-config writes the YAML to stdout and the notes to stderr; exit 0, or 1 when an
 * input cannot be read.
 */
import { readFile } from 'node:fs/promises';
import { isFreectiError } from '../errors.js';
import { controlSocketAddress } from '../routing/control-dialplan.js';
import type { Config } from '../config/schema.js';
import { dialplanFiles, migrateDialplanFile } from './dialplan-files.js';
import { importCtiConfig } from './cti-config.js';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The loaded configuration, or undefined after printing why it cannot be loaded. */
  config: () => Config | undefined;
}

export async function migrateDialplanCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let dryRun = false;
  let socket: string | undefined;
  const paths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--dry-run') dryRun = true;
    else if (arg === '--socket') socket = args[++i];
    else if (arg.startsWith('-')) return usage(io, `unknown option '${arg}'`);
    else paths.push(arg);
  }
  if (paths.length !== 1) return usage(io, 'expected one dialplan file or directory');
  if (socket !== undefined && !/^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(socket)) return usage(io, `--socket '${socket}' is not host:port`);
  if (socket === undefined) {
    const config = io.config();
    if (config === undefined) return 1;
    socket = controlSocketAddress(config.eslOutbound.host, config.eslOutbound.port);
  }
  let files: string[];
  try {
    files = await dialplanFiles(paths[0] ?? '');
  } catch (error) {
    io.stderr(`freecti: ${paths[0] ?? ''}: ${(error as Error).message}\n`);
    return 1;
  }
  let left = 0;
  let failed = 0;
  for (const file of files) {
    const report = await migrateDialplanFile(file, { socket, dryRun });
    for (const note of report.notes) {
      if (!note.changed) left++;
      io.stdout(`${file}:${note.line}: ${note.application}: ${note.changed ? (dryRun ? 'would change' : 'changed') : 'NOT migrated'}: ${note.message}\n`);
    }
    if (report.error !== undefined) {
      failed++;
      io.stderr(`freecti: ${file}: ${report.error}\n`);
    } else if (report.written) io.stdout(`${file}: written (original kept as ${file}.mod_cti.bak)\n`);
  }
  const changed = files.length;
  io.stdout(`${changed} file(s) read; ${left} line(s) not migrated${dryRun ? '; dry run: nothing written' : ''}\n`);
  if (failed > 0) return 1;
  return left > 0 ? 3 : 0;
}

export async function importConfigCommand(args: readonly string[], io: CommandIo): Promise<number> {
  if (args.length < 1 || args.length > 2 || args.some((a) => a.startsWith('-'))) return usage(io, 'expected <cti.json> [cti.conf.xml]');
  const [jsonPath = '', xmlPath] = args;
  let json: string;
  let xml: string | undefined;
  try {
    json = await readFile(jsonPath, 'utf8');
    xml = xmlPath === undefined ? undefined : await readFile(xmlPath, 'utf8');
  } catch (error) {
    io.stderr(`freecti: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    const imported = importCtiConfig(json, xml);
    io.stdout(imported.yaml);
    for (const note of imported.notes) io.stderr(`${note.carried ? 'carried over' : 'NOT carried over'}: ${note.setting}: ${note.message}\n`);
    return 0;
  } catch (error) {
    if (!isFreectiError(error)) throw error;
    io.stderr(`freecti: ${error.message}\n`);
    return 1;
  }
}

function usage(io: CommandIo, why: string): number {
  io.stderr(`freecti: ${why} (see freecti --help)\n`);
  return 2;
}
