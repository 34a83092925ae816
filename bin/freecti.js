#!/usr/bin/env node
// The `freecti` command: runs the built dist/main.js when present (npm run build),
// otherwise the TypeScript sources through tsx, so `npx freecti` works in a checkout.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../dist/main.js', import.meta.url));
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('freecti: dist/ is not built and tsx is not installed: run `npm ci && npm run build`\n');
    process.exit(1);
  }
  register();
  await import(new URL('../src/main.ts', import.meta.url).href);
}
