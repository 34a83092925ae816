/**
 * Header names seen before, to build header objects faster.
 *
 * FreeSWITCH sends the same names in much the same order event after event, so each known
 * name remembers the name that followed it last time, and the parser checks the next
 * header against that guess. On a hit the header object gets the one string kept here as
 * its key, which saves slicing the name and V8 interning a fresh property key, for every
 * header of every event. Purely an optimisation: a wrong guess is detected and the name is
 * read from the text as usual.
 */
import { ownCopy } from './url-decode.js';

export interface KnownName {
  readonly name: string;
  /** How the name appears in the text, delimiter included: `Name:` (plain) or `"Name"` (json). */
  readonly pattern: string;
  /** First and last character codes of the name (NaN for ''), for a cheap first check. */
  readonly first: number;
  readonly last: number;
  /** The name that followed this one last time. */
  next: KnownName | undefined;
  /** The last url-encoded value seen under this name and its decoded form (plain events). */
  lastRaw: string | undefined;
  lastDecoded: string | undefined;
}

export class NameGuesser {
  /** Stands for the start of a header block. */
  readonly start: KnownName;
  private readonly known = new Map<string, KnownName>();

  /**
   * `before`/`after` delimit a name in the text; `limit` bounds the memory (names are a
   * small vocabulary, but the input is not trusted).
   */
  constructor(
    private readonly before: string,
    private readonly after: string,
    private readonly limit = 4096,
  ) {
    this.start = this.entry('');
  }

  /** Records that `name` followed `previous`; returns the entry for `name`. */
  learn(previous: KnownName, name: string): KnownName {
    let entry = this.known.get(name);
    if (entry === undefined) {
      if (this.known.size >= this.limit) this.known.clear();
      entry = this.entry(name);
      this.known.set(name, entry);
    }
    previous.next = entry;
    return entry;
  }

  private entry(text: string): KnownName {
    // An own copy: a slice would keep the whole event body it came from alive.
    const name = ownCopy(text);
    return {
      name,
      pattern: ownCopy(this.before + name + this.after),
      first: name.charCodeAt(0),
      last: name.charCodeAt(name.length - 1),
      next: undefined,
      lastRaw: undefined,
      lastDecoded: undefined,
    };
  }
}

/**
 * How many guesses per header block may be checked with `indexOf` (fast, allocation-free,
 * but on a miss it scans on through the text): past this budget a block falls back to
 * comparing a slice, so crafted input cannot make parsing quadratic.
 */
export const SCANNING_CHECKS_PER_BLOCK = 16;
