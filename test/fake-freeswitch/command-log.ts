/** The fake's record of every command received, with a waiter for tests. */
import type { ReceivedCommand } from './command-reader.js';

export interface LoggedCommand extends ReceivedCommand {
  /** Id of the connection (1 = the first accepted). */
  readonly connection: number;
}

/** A line prefix, a RegExp on the line, or a predicate. */
export type CommandMatch = string | RegExp | ((command: LoggedCommand) => boolean);

interface Waiter {
  readonly test: (command: LoggedCommand) => boolean;
  readonly resolve: (command: LoggedCommand) => void;
}

function toTest(match: CommandMatch): (command: LoggedCommand) => boolean {
  if (typeof match === 'string') return (c) => c.line.startsWith(match);
  if (match instanceof RegExp) return (c) => match.test(c.line);
  return match;
}

export class CommandLog {
  readonly all: LoggedCommand[] = [];
  private waiters: Waiter[] = [];

  add(connection: number, command: ReceivedCommand): void {
    const logged: LoggedCommand = { connection, ...command };
    this.all.push(logged);
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.test(logged)) return true;
      waiter.resolve(logged);
      return false;
    });
  }

  /** The first command (already received or future) that matches. */
  waitFor(match: CommandMatch, timeoutMs: number): Promise<LoggedCommand> {
    const test = toTest(match);
    const found = this.all.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`fake FreeSWITCH: no command matching ${String(match)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        test,
        resolve: (command) => {
          clearTimeout(timer);
          resolve(command);
        },
      };
      this.waiters.push(waiter);
    });
  }
}
