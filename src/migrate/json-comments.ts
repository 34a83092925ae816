/**
 * mod_cti's cti.json carries `/* ... *\/` and `//` comments (seed 001) and sometimes a
 * trailing comma: JSON.parse refuses all three. `stripJsonComments` removes them outside
 * strings only (a `//` inside `"http://..."` stays), keeping line breaks so JSON.parse's
 * positions still point at the right line.
 */
export class JsonCommentError extends Error {}

export function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      i++;
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      if (i >= n) throw new JsonCommentError(`unterminated string at line ${lineOf(text, start)}`);
      i++;
      out += text.slice(start, i);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1) throw new JsonCommentError(`unterminated /* comment at line ${lineOf(text, i)}`);
      out += text.slice(i, end + 2).replace(/[^\n]/g, '');
      i = end + 2;
    } else {
      out += c;
      i++;
    }
  }
  // A comma before } or ] (outside strings: the strings were copied whole, so re-scan with them skipped).
  return dropTrailingCommas(out);
}

function dropTrailingCommas(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      out += text.slice(start, i);
    } else if (c === ',' && /^\s*[}\]]/.test(text.slice(i + 1, i + 1 + 4096))) {
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/** JSON.parse after stripping comments; the error names the line. */
export function parseCommentedJson(text: string): unknown {
  const clean = stripJsonComments(text);
  try {
    return JSON.parse(clean);
  } catch (error) {
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    const where = at === undefined ? '' : ` (line ${lineOf(clean, Number(at))})`;
    throw new JsonCommentError(`${(error as Error).message}${where}`);
  }
}
