/**
 * The `nacd` action of routing replies (inline and control mode): `{"application":
 * "nacd", "data": "<group number>"}` enters the group's HTTP callflow (docs/nacd.md).
 * FreeSWITCH has no such application: inline, freecti serves `set nacd_group=<group>` +
 * `socket <outbound socket> async full`; in control mode the session freecti holds runs
 * the callflow directly. Leaf module: routing imports it.
 */
export const NACD_APPLICATION = 'nacd';

/**
 * nacd's `nbridge <dial string>` (bridge with the calling extension's DID-out, docs/nacd.md
 * "nbridge"): FreeSWITCH has no such application either; freecti's bridge runs it on the
 * outbound socket (src/bridge/socket-actions.ts; its DID-out: src/bridge/did-out-plan.ts).
 */
export const NBRIDGE_APPLICATION = 'nbridge';

/**
 * `nacd_group=@dialed`: the group is the dialed number, read by freecti from the socket's
 * channel data (Caller-Destination-Number). migrate-dialplan writes it for a `nacd` with no
 * group instead of `${destination_number}`, which FreeSWITCH would expand (and expand again:
 * after a REFER the dialed number is the remote party's text, test/fixtures/freeswitch/
 * expansion/caller-fields-probe.txt).
 */
export const DIALED_GROUP = '@dialed';

const GROUP = /^[A-Za-z0-9_.+-]{1,64}$/;

/** The group number of a `nacd` action's data, or why it is refused. */
export function parseNacdData(data: string): { group: string } | string {
  const group = data.trim();
  if (!GROUP.test(group)) return `'nacd' data must be a group number (letters, digits, _ . + -, 1-64), got '${data.slice(0, 64)}'`;
  return { group };
}

/** The dialplan actions that hand the call to the nacd callflow on freecti's outbound socket (`host:port`). */
export function nacdDialplanActions(group: string, socket: string): { application: string; data: string }[] {
  return [
    { application: 'set', data: `nacd_group=${group}` },
    { application: 'socket', data: `${socket} async full` },
  ];
}
