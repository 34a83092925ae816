/**
 * The allow-list policy over the parsed forms: what may reach FreeSWITCH from a /cli
 * key, a routing reply, a cti_bridge reply, cti_originate or the typed API. Pure: every
 * check throws PolicyRefusal (with the place and the reason) or returns the parse.
 *
 * - Expansions: only `${v}` for configured variable names, `$${g}` for configured
 *   globals and `${strftime(<literal format>)}` (not with `fsConfig.disableApiExpansion`,
 *   policyOptions: FreeSWITCH would not run it); never substrings, nested or other api
 *   forms, in any spelling (quotes and backslashes do not hide one, expansion.ts). An
 *   expansion glued to `{` or to another expansion is refused (it could assemble a new
 *   expansion when the text is expanded a second time).
 * - Variables: literal names; a value holds no `$`, `{` or `}` outside allowed
 *   expansions, so no variable we let through can hold half of an expansion. Hook and
 *   execution variables (variables.ts) are refused unless their value parses as an
 *   allowed application (or, for api hooks, a command the origin may run).
 * - Applications (applications.ts) and commands (commands.ts) come from tables, each
 *   with its arguments parsed; a name not in a table passes only when a CLI key names
 *   it exactly (`Scope.exact`), and then the check says so (`Scope.exactUsed`).
 * - Dial strings: known endpoints with literal bodies; without `Scope.outbound` only
 *   `user/<extension>` (and `error/`, `group/`) may be dialled and transfers stay in
 *   `Scope.context`.
 */
import { parseDialString, type DialString } from './dial-string.js';
import { parseExpansions, type Expansion } from './expansion.js';
import { parseInlineApps as parseInlineList, parseOriginate, parseTarget, type Originate } from './originate.js';
import { DEFAULT_SECURITY, type PolicyOptions } from './policy-options.js';
import { assertNoControl, cleanWord, FsSyntaxError, separateWords } from './scan.js';
import type { ChannelVar } from './var-block.js';
import type { PolicyChecks } from './checks.js';
import { checkMedia, checkRecordPath } from './media.js';
import { checkVariable } from './variables.js';
import { checkApplication, UUID } from './applications.js';
import { handoffDestination, type SocketHandoff } from './handoff.js';
import { checkCommand, type CheckedCommand } from './commands.js';
import { PolicyRefusal, type Scope } from './refusal.js';

export { PolicyRefusal, type Scope } from './refusal.js';

const STRFTIME_FORMAT = /^[%A-Za-z0-9 _:./+-]{0,64}$/;
const ENDPOINTS_INTERNAL: ReadonlySet<string> = new Set(['user', 'error', 'group', 'verto']);
const ENDPOINTS_OUTBOUND: ReadonlySet<string> = new Set(['user', 'error', 'group', 'verto', 'gateway', 'sofia', 'linegroup', 'loopback', 'freetdm']);

export class FsPolicy implements PolicyChecks {
  readonly options: PolicyOptions;
  private readonly variables: ReadonlySet<string>;
  private readonly globals: ReadonlySet<string>;
  readonly extraApplications: ReadonlySet<string>;

  constructor(options: PolicyOptions = DEFAULT_SECURITY) {
    this.options = options;
    this.variables = new Set(options.variables.map((v) => v.toLowerCase()));
    this.globals = new Set(options.globals.map((v) => v.toLowerCase()));
    this.extraApplications = new Set(options.extraApplications);
  }

  /** Runs a parse, turning its syntax errors into refusals that name `where`. */
  parse<T>(where: string, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof FsSyntaxError) throw new PolicyRefusal(`${where}: ${error.message}`);
      throw error;
    }
  }

  /** Any text FreeSWITCH will expand: only allowed expansions, no control characters. */
  text(text: string, where: string): void {
    this.parse(where, () => assertNoControl(text, where));
    if (text.includes('$')) this.expansions(parseExpansions(text), where);
  }

  /** A variable's value: `text`, and no `$ { }` outside the allowed expansions. */
  value(text: string, where: string): void {
    this.parse(where, () => assertNoControl(text, where));
    if (!/[${}]/.test(text)) return;
    const pieces = parseExpansions(text);
    this.expansions(pieces, where);
    for (const piece of pieces) {
      if (piece.kind === 'text' && /[${}]/.test(piece.text)) throw new PolicyRefusal(`${where}: a value may hold '$', '{' or '}' only inside an allowed expansion`);
    }
  }

  /** Each expansion must be an allowed form, not glued to `{`, `$` or another expansion. */
  private expansions(pieces: readonly Expansion[], where: string): void {
    for (const [i, piece] of pieces.entries()) {
      if (piece.kind === 'text') continue;
      if (piece.kind === 'invalid') throw new PolicyRefusal(`${where}: ${piece.why} ${piece.raw.slice(0, 60)} is not allowed`);
      const next = pieces[i + 1];
      if (next !== undefined && (next.kind !== 'text' || next.text.startsWith('{') || next.text.startsWith('$'))) {
        throw new PolicyRefusal(`${where}: ${piece.raw.slice(0, 60)} is glued to ${next.kind === 'text' ? `'${next.text[0] ?? ''}'` : 'another expansion'}`);
      }
      if (piece.kind === 'call') {
        if (piece.fn !== 'strftime' || !STRFTIME_FORMAT.test(piece.args)) {
          throw new PolicyRefusal(`${where}: api expansion ${piece.raw.slice(0, 60)} is not allowed (only \${strftime(<format>)})`);
        }
        if (this.options.apiExpansionOff === true) {
          throw new PolicyRefusal(
            `${where}: ${piece.raw.slice(0, 60)} would not run: fsConfig.disableApiExpansion is on, so FreeSWITCH runs no api function inside \${...} (use a fixed text or a channel variable)`,
          );
        }
      } else if (piece.global ? !this.globals.has(piece.name.toLowerCase()) : !this.variables.has(piece.name.toLowerCase())) {
        throw new PolicyRefusal(`${where}: ${piece.raw.slice(0, 60)} is not an allowed ${piece.global ? 'global' : 'channel'} variable (security.${piece.global ? 'globals' : 'variables'})`);
      }
    }
  }

  /** One channel variable (`{...}` blocks, set/export, uuid_setvar). */
  variable(v: ChannelVar, scope: Scope, where: string): void {
    checkVariable(this, v, scope, where);
  }

  /** Several variables. */
  variablesOf(vars: readonly ChannelVar[], scope: Scope, where: string): void {
    for (const v of vars) this.variable(v, scope, `${where} variable '${v.name}'`);
  }

  /** A dial string: its variables, then every leg's endpoint against the scope. */
  dialString(text: string, scope: Scope, where: string): DialString {
    const dial = this.parse(where, () => parseDialString(text));
    this.variablesOf(dial.vars, scope, where);
    for (const leg of dial.legs) {
      this.variablesOf(leg.vars, scope, where);
      if (leg.endpoint.kind === 'nout' && scope.nout === true && scope.outbound) continue;
      if (leg.endpoint.kind === 'nout') throw new PolicyRefusal(`${where}: '${leg.body.slice(0, 60)}': nout/ legs are for noriginate, nbridge and nway_threeway (an outbound key or route)`);
      if (leg.endpoint.kind === 'other') throw new PolicyRefusal(`${where}: endpoint '${leg.endpoint.type.slice(0, 40)}' is not allowed (user, sofia, linegroup, group, error, verto.rtc, loopback, freetdm)`);
      const kind = leg.endpoint.kind;
      const internalSofia = leg.endpoint.kind === 'sofia' && !leg.endpoint.external;
      const allowed = scope.outbound ? ENDPOINTS_OUTBOUND : ENDPOINTS_INTERNAL;
      if (!allowed.has(kind) && !(internalSofia && !scope.outbound)) {
        throw new PolicyRefusal(
          scope.outbound
            ? `${where}: endpoint '${kind}' is not allowed`
            : `${where}: '${leg.body.slice(0, 60)}' would leave ${scope.context === undefined ? 'this context' : `context '${scope.context}'`} (only user/<extension> may be dialled here)`,
        );
      }
    }
    return dial;
  }

  /** `<extension> [<dialplan> [<context>]]`; an `inline` dialplan runs its applications. */
  transfer(text: string, scope: Scope, where: string): void {
    // transfer splits its data like every api (switch_separate_string into 4 words, at
    // spaces only): each word cleaned, the 4th the rest (refused: an extra word).
    this.transferWords(this.parse(where, () => separateWords(text, 4)), scope, where);
  }

  /**
   * A transfer's words as FreeSWITCH split and cleaned them (uuid_transfer's argv after
   * the uuid): a quoted inline list is one word, spaces included, so the words must not
   * be joined and split again.
   */
  transferWords(words: readonly string[], scope: Scope, where: string): void {
    const [extension = '', dialplan, context, ...extra] = words;
    if (extension === '' || extra.length > 0) throw new PolicyRefusal(`${where}: expected <extension> [<dialplan> [<context>]]`);
    if (dialplan === 'inline') {
      for (const app of this.parse(where, () => parseInlineList(extension))) this.application(app.name, app.args ?? '', scope, `${where} inline ${app.name}`);
      return;
    }
    if (!/^[A-Za-z0-9_.+*#-]{1,64}$/.test(extension)) throw new PolicyRefusal(`${where}: '${extension.slice(0, 60)}' is not a literal extension`);
    if (dialplan !== undefined && !/^(?:XML|xml)$/.test(dialplan)) throw new PolicyRefusal(`${where}: dialplan '${dialplan.slice(0, 40)}' is not allowed (XML or inline)`);
    if (context !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(context)) throw new PolicyRefusal(`${where}: '${context.slice(0, 60)}' is not a context name`);
    if (!scope.outbound && context !== undefined && context !== scope.context) {
      throw new PolicyRefusal(`${where}: transfer to context '${context}' (calls from '${scope.context ?? '?'}' stay in it)`);
    }
  }

  /** A file FreeSWITCH reads (playback and friends). */
  media(text: string, where: string): void {
    checkMedia(this, text, where);
  }

  /** A file FreeSWITCH writes (record and friends). */
  recordPath(text: string, where: string): void {
    checkRecordPath(this, text, where);
  }

  /** One dialplan application with its data. */
  application(name: string, data: string, scope: Scope, where: string): void {
    checkApplication(this, name, data, scope, where);
  }

  /**
   * originate / cti_originate arguments. The call URL and the target are checked as
   * FreeSWITCH reads them (each word cleaned: `{a='x,api_on_answer=..'}` has a hook
   * once its quotes are gone) and as written, so that neither reading hides anything.
   */
  originate(text: string, scope: Scope, where = 'originate'): Originate {
    const parsed = this.parse(where, () => parseOriginate(text));
    this.dialString(cleanWord(parsed.url), scope, `${where} call URL`);
    this.dialString(parsed.url, scope, `${where} call URL`);
    const written = this.parse(where, () => parseTarget(parsed.targetText, parsed.extra[0]));
    for (const target of [parsed.target, written]) {
      if (target.kind === 'app') this.application(target.name, target.args, scope, `${where} &${target.name}`);
      else if (target.kind === 'inline') for (const app of target.apps) this.application(app.name, app.args ?? '', scope, `${where} inline ${app.name}`);
      else this.transferWords([target.extension, ...parsed.extra.slice(0, 2)], scope, `${where} extension`); // words as split, never re-split
    }
    // [dialplan] [context] [cid name] [cid number] [timeout]: plain words.
    for (const word of parsed.extra) this.value(word, `${where} argument`);
    return parsed;
  }

  /**
   * freecti's hand-off of call `uuid` to its outbound socket (nacd_transfer): the
   * `uuid_transfer` arguments, for a hand-off `socketHandoff` made only (handoff.ts); the
   * one way `socket` reaches FreeSWITCH without an exact grant. Never for text.
   */
  socketTransfer(uuid: string, handoff: SocketHandoff, where = 'nacd_transfer'): string {
    if (!UUID.test(uuid)) throw new PolicyRefusal(`${where}: expected a channel uuid, got '${uuid.slice(0, 40)}'`);
    return `${uuid} ${this.parse(where, () => handoffDestination(handoff))}`;
  }

  /**
   * `originate` arguments that dial `callUrl` and hand the answered call over as
   * `handoff` says (nwaycallout): the call URL is checked against `scope` like any
   * originate's (as written and as FreeSWITCH reads it), and the target is the hand-off's
   * inline list, accepted only from an object `socketHandoff`/`queueHandoff` issued.
   */
  socketOriginate(callUrl: string, handoff: SocketHandoff, scope: Scope, where = 'callout originate'): string {
    const text = `${callUrl} ${this.parse(where, () => handoffDestination(handoff))}`;
    const parsed = this.parse(where, () => parseOriginate(text));
    if (parsed.url !== callUrl || parsed.extra.length !== 1) throw new PolicyRefusal(`${where}: the call URL must be one word (spaces only inside single quotes)`);
    this.dialString(cleanWord(parsed.url), scope, `${where} call URL`);
    this.dialString(parsed.url, scope, `${where} call URL`);
    return text;
  }

  /**
   * nway_threeway's originate (docs/nacd.md "nway_threeway"): `<dial string> &three_way(<uuid>)`,
   * the third party joining call `uuid` when it answers. `three_way` is in no table of the
   * applications (it reaches other calls): it passes only in this form, which freecti builds
   * from the parsed uuid and the dial string its DID-out produced (checked here, outbound).
   */
  threeWayOriginate(uuid: string, dialString: string, where = 'nway_threeway'): string {
    if (!UUID.test(uuid)) throw new PolicyRefusal(`${where}: expected a channel uuid, got '${uuid.slice(0, 40)}'`);
    if (/\s/.test(dialString)) throw new PolicyRefusal(`${where}: the dial string is one word (no spaces)`);
    // As written and as originate reads it (its words cleaned: quotes dropped before the block is read).
    this.dialString(dialString, { outbound: true }, `${where} dial string`);
    this.dialString(cleanWord(dialString), { outbound: true }, `${where} dial string`);
    return `${dialString} &three_way(${uuid})`;
  }

  /** An api command line, wrappers unwrapped; throws unless the scope may run it. */
  command(command: string, args: string, scope: Scope): CheckedCommand {
    return checkCommand(this, command, args, scope);
  }
}
