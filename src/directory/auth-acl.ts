/**
 * `auth-acl` of an extension (seed 001: "comma separated CIDRs"): each entry is an IP
 * address or CIDR, or the name of a FreeSWITCH ACL list (acl.conf.xml: `lan`, `domains`,
 * or the built-in `rfc1918.auto`, `localnet.auto`, ...).
 *
 * Who enforces it (docs/xml-curl.md):
 * - only CIDRs: freecti (register-policy.ts), and the param is not served;
 * - exactly one list name and no CIDR: FreeSWITCH, which knows its lists and freecti does
 *   not; the param is served as it is (`switch_check_network_list_ip` in sofia_reg.c
 *   looks the value up as one list name);
 * - a mix, or several names: refused as misconfigured. The entries mean "any of them
 *   allows", which neither side can check alone (FreeSWITCH takes one list name or only
 *   CIDRs; freecti cannot see the lists). Put the CIDRs into a named list instead.
 */
import { isIP } from 'node:net';
import { parseCidrList, type CidrList } from './cidr.js';

/** acl.conf.xml list names: what FreeSWITCH's own lists and the `.auto` ones look like. */
const LIST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export type AuthAcl =
  | { kind: 'cidrs'; list: CidrList }
  | { kind: 'named'; name: string }
  | { kind: 'invalid'; reason: string };

export function parseAuthAcl(text: string): AuthAcl {
  const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const names = entries.filter((e) => !e.includes('/') && isIP(e) === 0 && LIST_NAME.test(e));
  const cidrs = entries.filter((e) => !names.includes(e));
  if (names.length === 0) {
    try {
      return { kind: 'cidrs', list: parseCidrList(text) };
    } catch (error) {
      return { kind: 'invalid', reason: (error as Error).message };
    }
  }
  if (names.length === 1 && cidrs.length === 0) return { kind: 'named', name: names[0] ?? '' };
  return {
    kind: 'invalid',
    reason: `'${text}' mixes ACL list names and CIDRs or names several lists; FreeSWITCH checks one named list, freecti checks CIDRs: put the addresses into one list in acl.conf.xml`,
  };
}

/** The list name FreeSWITCH must enforce, when `auth-acl` is one named list. */
export function namedAuthAcl(text: string | undefined): string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const acl = parseAuthAcl(text);
  return acl.kind === 'named' ? acl.name : undefined;
}
