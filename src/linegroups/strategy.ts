/**
 * The order in which a group's lines are offered a call. The order is a preference:
 * the limits themselves are enforced atomically by lua/linegroup-acquire-5.lua, so a
 * race between instances can only make a call take the next line, never break a limit.
 *
 * - priority: lowest `priority` first, ties in list order;
 * - round-robin: a shared Redis counter rotates the starting line for each call,
 *   across all instances;
 * - least-busy: fewest calls in progress first (ties by priority);
 * - random: uniformly shuffled.
 */
import type { Keys } from '../keys.js';
import type { RedisClient } from '../lua-scripts.js';
import type { LineSlots } from './line-slots.js';
import type { Line, Linegroup } from './schema.js';

export interface StrategyDeps {
  redis: RedisClient;
  keys: Keys;
  slots: LineSlots;
  random?: () => number;
}

export async function orderLines(deps: StrategyDeps, groupName: string, group: Linegroup): Promise<Line[]> {
  const lines = byPriority(group.lines.filter((l) => l.enabled));
  if (lines.length <= 1) return lines;
  switch (group.strategy) {
    case 'priority':
      return lines;
    case 'round-robin': {
      const turn = await deps.redis.incr(deps.keys.linegroupCursor(groupName));
      const start = (turn - 1) % lines.length;
      return [...lines.slice(start), ...lines.slice(0, start)];
    }
    case 'least-busy': {
      const status = await deps.slots.status(groupName, lines);
      const active = new Map(status.map((s) => [s.id, s.active]));
      return [...lines].sort((a, b) => (active.get(a.id) ?? 0) - (active.get(b.id) ?? 0));
    }
    case 'random':
      return shuffle(lines, deps.random ?? Math.random);
  }
}

function byPriority(lines: readonly Line[]): Line[] {
  return lines.map((line, index) => ({ line, index })).sort((a, b) => a.line.priority - b.line.priority || a.index - b.index).map((e) => e.line);
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
