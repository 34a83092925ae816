/**
 * `freecti migrate-dialplan <file|dir> [--dry-run] [--socket host:port]`: migrates one
 * dialplan XML file, or every `*.xml` under a directory (sorted, recursively). A changed
 * file is rewritten in place after its original is copied to `<file>.mod_cti.bak` (a file
 * whose backup already exists is not touched: the migration ran before). Files are read
 * as UTF-8 when they are valid UTF-8, else byte for byte (latin1), and written back the same way.
 * The new text goes to `<file>.freecti-tmp` first and is renamed over the file, so a failed
 * write leaves the original whole (and its backup is removed, so the migration can run
 * again; the file keeps its permission bits). A file that cannot be read, backed up or written is reported with the reason;
 * the other files are still migrated.
 */
import { chmod, copyFile, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { migrateDialplan, type DialplanNote } from './dialplan.js';
import { XmlScanError } from './xml-tags.js';

export interface FileReport {
  path: string;
  notes: DialplanNote[];
  /** Rewritten (false in a dry run, or when nothing changed, or on an error). */
  written: boolean;
  error?: string;
}

export const BACKUP_SUFFIX = '.mod_cti.bak';

export async function dialplanFiles(path: string): Promise<string[]> {
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) out.push(...(await dialplanFiles(child)));
    else if (entry.isFile() && entry.name.endsWith('.xml')) out.push(child);
  }
  return out;
}

export async function migrateDialplanFile(path: string, options: { socket: string; dryRun: boolean }): Promise<FileReport> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return { path, notes: [], written: false, error: `cannot read: ${reason(error)}` };
  }
  const encoding = isUtf8(bytes) ? 'utf8' : 'latin1';
  let result;
  try {
    result = migrateDialplan(bytes.toString(encoding), { socket: options.socket });
  } catch (error) {
    if (error instanceof XmlScanError) return { path, notes: [], written: false, error: `not readable as XML: ${error.message}` };
    throw error;
  }
  const changed = result.notes.some((n) => n.changed);
  if (!changed || options.dryRun) return { path, notes: result.notes, written: false };
  const backup = `${path}${BACKUP_SUFFIX}`;
  try {
    await copyFile(path, backup, 1 /* COPYFILE_EXCL */);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { path, notes: result.notes, written: false, error: `${backup} exists (migrated before?); file left as it is` };
    return { path, notes: result.notes, written: false, error: `cannot write the backup ${backup}: ${reason(error)}; file left as it is` };
  }
  const temp = `${path}.freecti-tmp`;
  try {
    await writeFile(temp, Buffer.from(result.text, encoding), { flag: 'wx' });
    await chmod(temp, (await stat(path)).mode & 0o7777);
    await rename(temp, path);
  } catch (error) {
    const cause = reason(error);
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await rm(temp, { force: true }).catch(() => undefined);
    await rm(backup, { force: true }).catch(() => undefined);
    return { path, notes: result.notes, written: false, error: `cannot write: ${cause}; file left as it is` };
  }
  return { path, notes: result.notes, written: true };
}

function reason(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ?? e.message;
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
