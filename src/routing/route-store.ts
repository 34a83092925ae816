/**
 * The route table in Redis: one hash (Keys.routes()), field = route id, value = the
 * route as JSON, validated with routeSchema on the way in and on the way out.
 *
 * Dialplan lookups read a copy cached for `cacheMs` (changes made through another
 * freecti instance show up within that time; changes made here at once). When Redis is
 * unreachable the last table read keeps serving.
 */
import type { RedisClient } from '../redis.js';
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import { compileSafeRegex } from '../safe-regex.js';
import { routeSchema, type Route } from './route-schema.js';

export interface CompiledRoute {
  route: Route;
  /** The destination pattern on the linear-time engine (src/safe-regex.ts). */
  destination: { test(destination: string): boolean };
}

export class RouteStore {
  private cached: { at: number; routes: CompiledRoute[] } | undefined;
  private refreshing: Promise<CompiledRoute[]> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly log: Logger,
    private readonly cacheMs: number = 1000,
  ) {}

  /** Every valid route, by context, priority, id. Invalid stored values are skipped and logged. */
  async list(): Promise<Route[]> {
    const raw = await this.redis.hgetall(this.keys.routes());
    const routes: Route[] = [];
    for (const [id, text] of Object.entries(raw)) {
      const route = this.decode(id, text);
      if (route !== undefined) routes.push(route);
    }
    return routes.sort((a, b) => a.context.localeCompare(b.context) || a.priority - b.priority || a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<Route | undefined> {
    const text = await this.redis.hget(this.keys.routes(), id);
    return text === null ? undefined : this.decode(id, text);
  }

  /** Creates or replaces a route; true when it was created. */
  async put(route: Route): Promise<boolean> {
    const created = (await this.redis.hset(this.keys.routes(), route.id, JSON.stringify(route))) === 1;
    this.cached = undefined;
    return created;
  }

  async delete(id: string): Promise<boolean> {
    const removed = (await this.redis.hdel(this.keys.routes(), id)) === 1;
    this.cached = undefined;
    return removed;
  }

  /** Writes the configured routes that are not in Redis yet (REST edits survive restarts). */
  async seed(routes: readonly Route[]): Promise<number> {
    let added = 0;
    for (const route of routes) added += await this.redis.hsetnx(this.keys.routes(), route.id, JSON.stringify(route));
    if (added > 0) this.cached = undefined;
    return added;
  }

  /** The table used for dialplan lookups (cached; stale when Redis is down; throws only with nothing cached). */
  async table(now: number = Date.now()): Promise<CompiledRoute[]> {
    if (this.cached !== undefined && now - this.cached.at < this.cacheMs) return this.cached.routes;
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    try {
      return await this.refreshing;
    } catch (error) {
      if (this.cached === undefined) throw error;
      this.log.warn({ err: (error as Error).message }, 'route table unreadable in Redis; serving the last table read');
      this.cached.at = now;
      return this.cached.routes;
    }
  }

  private async refresh(): Promise<CompiledRoute[]> {
    const routes: CompiledRoute[] = [];
    for (const route of await this.list()) {
      // decode() validated the route, so its destination compiles; re-checked all the same.
      const destination = compileSafeRegex(route.destination);
      if (destination.ok) routes.push({ route, destination });
      else this.log.warn({ route: route.id, err: destination.reason }, 'stored route destination refused; ignored');
    }
    this.cached = { at: Date.now(), routes };
    return routes;
  }

  private decode(id: string, text: string): Route | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.log.warn({ route: id }, 'stored route is not JSON; ignored');
      return undefined;
    }
    const result = routeSchema.safeParse(parsed);
    if (!result.success || result.data.id !== id) {
      this.log.warn({ route: id, err: result.success ? 'id differs from the hash field' : result.error.issues[0]?.message }, 'stored route is invalid; ignored');
      return undefined;
    }
    return result.data;
  }
}

/** The first route of `context` whose destination pattern matches. */
export function matchRoute(routes: readonly CompiledRoute[], context: string, destination: string): Route | undefined {
  for (const entry of routes) {
    if (entry.route.context === context && entry.destination.test(destination)) return entry.route;
  }
  return undefined;
}
