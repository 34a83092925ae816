/** Paths of the migration samples (test/fixtures/migration/). */
import { join } from 'node:path';

export function fixturePath(relative: string): string {
  return join(import.meta.dirname, '..', 'fixtures', 'migration', relative);
}
