/**
 * Header names seen before, to build header objects faster.
 *
 * FreeSWITCH sends the same names in much the same order event after event, so each known
 * name remembers the name that followed it last time, and the parser checks the next line
 * against that guess. On a hit the header object gets the one string kept here as its key,
 * which saves V8 interning a freshly sliced key for every header of every event (the
 * largest single cost of building a header object). Purely an optimisation: a wrong guess
 * is detected and the name is read from the text as usual.
 */
export interface KnownName {
  readonly name: string;
  /** The name that followed this one last time. */
  next: KnownName | undefined;
  /** The last url-encoded value seen under this name and its decoded form (plain events). */
  lastRaw: string | undefined;
  lastDecoded: string | undefined;
}

export class NameGuesser {
  /** Stands for the start of a header block. */
  readonly start: KnownName = newEntry('');
  private readonly known = new Map<string, KnownName>();

  /** `limit` bounds the memory: names are a small vocabulary, but the input is not trusted. */
  constructor(private readonly limit = 4096) {}

  /** Records that `name` followed `previous`; returns the entry for `name`. */
  learn(previous: KnownName, name: string): KnownName {
    let entry = this.known.get(name);
    if (entry === undefined) {
      if (this.known.size >= this.limit) this.known.clear();
      entry = newEntry(name);
      this.known.set(name, entry);
    }
    previous.next = entry;
    return entry;
  }
}

function newEntry(name: string): KnownName {
  return { name, next: undefined, lastRaw: undefined, lastDecoded: undefined };
}
