/**
 * Replies of `api show <what> as json` (recordings esl-inbound/api-show-channels-json-*,
 * esl-control/api-registrations-two-users): `{"row_count":N,"rows":[{...}]}` without a
 * trailing newline when there are rows, `{"row_count": 0}\n` (note the space) when there
 * are none. Anything else (an in-band `-ERR ...`) throws: an error reply must never be
 * taken for "no rows".
 */
export function parseShowJsonRows(body: string, what: string): unknown[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error(`${what}: not JSON: ${body.slice(0, 120).trim()}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${what}: not a JSON object`);
  const { row_count: rowCount, rows = [] } = json as { row_count?: unknown; rows?: unknown };
  if (typeof rowCount !== 'number' || !Number.isInteger(rowCount) || rowCount < 0) throw new Error(`${what}: no valid row_count`);
  if (!Array.isArray(rows)) throw new Error(`${what}: rows is not an array`);
  if (rows.length !== rowCount) throw new Error(`${what}: row_count ${rowCount} but ${rows.length} rows`);
  return rows;
}
