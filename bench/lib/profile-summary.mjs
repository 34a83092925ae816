/**
 * Self time of a .cpuprofile summed by where the code lives (an npm package, a node:
 * module, a file of ours, or a native/kernel frame), as a share of the busy samples:
 * `node bench/lib/profile-summary.mjs <file.cpuprofile>...` (profile-preload.mjs writes them).
 */
import { readFileSync } from 'node:fs';

function place(url, name) {
  if (url === '') return name;
  if (url.includes('node_modules/')) {
    const parts = url.split('node_modules/').pop().split('/');
    return `npm:${parts.slice(0, parts[0].startsWith('@') ? 2 : 1).join('/')}`;
  }
  if (url.startsWith('node:')) return url;
  if (url.includes('/src/')) return `src/${url.split('/src/').pop()}`;
  return url.split('/').slice(-2).join('/');
}

for (const file of process.argv.slice(2)) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byPlace = new Map();
  let busy = 0;
  for (const id of profile.samples) {
    const frame = nodes.get(id).callFrame;
    if (frame.functionName === '(idle)') continue;
    busy++;
    const key = place(frame.url, frame.functionName);
    byPlace.set(key, (byPlace.get(key) ?? 0) + 1);
  }
  console.log(`${file}: ${busy} busy samples`);
  for (const [key, n] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((100 * n) / busy).toFixed(1).padStart(5)} %  ${key}`);
}
