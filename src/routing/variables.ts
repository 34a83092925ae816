/**
 * Looking up `${name}` in a mod_xml_curl dialplan request (fields as recorded in
 * test/fixtures/freeswitch/xml-curl/dialplan-call-1000-to-1001.http):
 *
 * 1. a field with exactly that name (`${Caller-Destination-Number}`, `${Unique-ID}`);
 * 2. the usual channel variable names of the caller profile (ALIASES below), which
 *    FreeSWITCH sends as `Hunt-*` / `Caller-*` fields, the `Hunt-` one first since it
 *    follows transfers;
 * 3. `variable_<name>` (every channel variable FreeSWITCH sent);
 * 4. otherwise the empty string, as FreeSWITCH itself expands an unknown variable.
 */
export type Fields = ReadonlyMap<string, string> | LazyFields;

/**
 * A request whose fields are decoded one at a time (XmlCurlRequest, src/xml-curl/request.ts):
 * a dialplan lookup reads a few of ~150 fields, and `fields` decodes them all only for
 * routes that POST every field.
 */
export interface LazyFields {
  get(name: string): string | undefined;
  readonly fields: ReadonlyMap<string, string>;
}

/** Every field, first value wins (decodes the whole form of a lazy request). */
export function allFields(fields: Fields): ReadonlyMap<string, string> {
  return 'fields' in fields ? fields.fields : fields;
}

const ALIASES: Readonly<Record<string, readonly string[]>> = {
  destination_number: ['Hunt-Destination-Number', 'Caller-Destination-Number'],
  caller_id_number: ['Hunt-Caller-ID-Number', 'Caller-Caller-ID-Number'],
  caller_id_name: ['Hunt-Caller-ID-Name', 'Caller-Caller-ID-Name'],
  ani: ['Hunt-ANI', 'Caller-ANI'],
  aniii: ['Hunt-ANI-II', 'Caller-ANI-II'],
  rdnis: ['Hunt-RDNIS', 'Caller-RDNIS'],
  username: ['Hunt-Username', 'Caller-Username'],
  network_addr: ['Hunt-Network-Addr', 'Caller-Network-Addr'],
  source: ['Hunt-Source', 'Caller-Source'],
  context: ['Hunt-Context', 'Caller-Context'],
  dialplan: ['Hunt-Dialplan', 'Caller-Dialplan'],
  chan_name: ['Hunt-Channel-Name', 'Channel-Name'],
  channel_name: ['Channel-Name'],
  uuid: ['Unique-ID', 'Caller-Unique-ID'],
  call_uuid: ['Channel-Call-UUID', 'Unique-ID'],
  direction: ['Call-Direction', 'Caller-Direction'],
  hostname: ['FreeSWITCH-Hostname', 'hostname'],
  core_uuid: ['Core-UUID'],
};

export function lookupVariable(fields: Fields, name: string): string {
  const exact = fields.get(name);
  if (exact !== undefined) return exact;
  for (const field of ALIASES[name] ?? []) {
    const value = fields.get(field);
    if (value !== undefined) return value;
  }
  return fields.get(`variable_${name}`) ?? '';
}

/** The context being hunted and the number dialled, as the router matches them. */
export function huntTarget(fields: Fields): { context: string; destination: string; uuid: string } {
  return {
    context: lookupVariable(fields, 'context'),
    destination: lookupVariable(fields, 'destination_number'),
    uuid: lookupVariable(fields, 'uuid'),
  };
}
