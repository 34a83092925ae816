/**
 * Header names (and their last values) seen before, to build header objects faster.
 *
 * FreeSWITCH sends the same names in much the same order event after event, and most
 * values repeat too (about 90% of the header lines of a call's events are the same line
 * as the last one with that name: the channel's names, addresses, variables). So each
 * known name remembers the name that followed it last time and its own last line and
 * value, and the parser checks the text against those guesses before reading it the
 * slow way. A hit saves finding the line end, slicing and decoding the value, slicing
 * the name and V8 interning it as a fresh property key. Purely an optimisation: every
 * guess is verified against the text, and a wrong one is read as usual.
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
  /** The last whole header seen under this name, as in the text (`Name: raw value` / `"Name":"value"`). */
  lastText: string | undefined;
  /** Character code of the last character of `lastText`. */
  lastTextEnd: number;
  /** Its value, decoded (for an `ARRAY::` value: the decoded string, to split again). */
  lastValue: string;
}

/** Longest header text remembered as a name's last line (bounds the memory). */
const MAX_REMEMBERED_TEXT = 1024;

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

  /** Records text[from, to) as the last header seen under `known`, with its decoded value. */
  remember(known: KnownName, text: string, from: number, to: number, value: string): void {
    if (to - from > MAX_REMEMBERED_TEXT) {
      known.lastText = undefined;
      return;
    }
    // Own copies: a slice would keep the whole event body it came from alive.
    known.lastText = ownCopy(text.slice(from, to));
    known.lastTextEnd = text.charCodeAt(to - 1);
    known.lastValue = ownCopy(value);
  }

  private entry(text: string): KnownName {
    const name = ownCopy(text);
    return {
      name,
      pattern: ownCopy(this.before + name + this.after),
      first: name.charCodeAt(0),
      last: name.charCodeAt(name.length - 1),
      next: undefined,
      lastText: undefined,
      lastTextEnd: Number.NaN,
      lastValue: '',
    };
  }
}

/**
 * How many guesses per header block may be checked with `indexOf` (fast, allocation-free,
 * but on a miss it scans on through the text): past this budget a block falls back to
 * comparing a slice, so crafted input cannot make parsing quadratic.
 */
export const SCANNING_CHECKS_PER_BLOCK = 16;
