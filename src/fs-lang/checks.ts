/**
 * The checks of FsPolicy (policy.ts) that its helpers (applications, commands, media,
 * variables) call back. The helpers take this interface, not the class, so they do not
 * import policy.ts, which imports them (no import cycle; `npm run check:imports`).
 */
import type { PolicyOptions } from './policy-options.js';
import type { Scope } from './refusal.js';
import type { ChannelVar } from './var-block.js';

export interface PolicyChecks {
  readonly options: PolicyOptions;
  readonly extraApplications: ReadonlySet<string>;
  parse<T>(where: string, run: () => T): T;
  text(text: string, where: string): void;
  value(text: string, where: string): void;
  variable(v: ChannelVar, scope: Scope, where: string): void;
  variablesOf(vars: readonly ChannelVar[], scope: Scope, where: string): void;
  dialString(text: string, scope: Scope, where: string): unknown;
  transfer(text: string, scope: Scope, where: string): void;
  transferWords(words: readonly string[], scope: Scope, where: string): void;
  media(text: string, where: string): void;
  recordPath(text: string, where: string): void;
  application(name: string, data: string, scope: Scope, where: string): void;
  originate(text: string, scope: Scope, where?: string): unknown;
  command(command: string, args: string, scope: Scope): unknown;
}
