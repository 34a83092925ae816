/**
 * CIDR lists (`auth-acl`, xmlCurl.allowFrom): comma separated, IPv4 and IPv6, a bare
 * address means /32 or /128. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, how a
 * dual-stack socket reports an IPv4 peer) are checked as IPv4.
 * A list that does not parse is an error: callers deny and log, never allow.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface CidrList {
  readonly text: string;
  contains(ip: string): boolean;
}

export function parseCidrList(text: string): CidrList {
  const list = new BlockList();
  const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length === 0) throw new Error('empty CIDR list');
  for (const entry of entries) {
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    if (family === undefined) throw new Error(`'${entry}' is not an IP address or CIDR`);
    const max = family === 'ipv4' ? 32 : 128;
    const bitsText = slash === -1 ? String(max) : entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) throw new Error(`'${entry}' has a bad prefix length`);
    list.addSubnet(address, Number(bitsText), family);
  }
  return {
    text,
    contains(ip: string): boolean {
      const v4 = unmapIpv4(ip);
      if (isIPv4(v4)) return list.check(v4, 'ipv4');
      if (isIPv6(ip)) return list.check(ip, 'ipv6');
      return false;
    },
  };
}

function unmapIpv4(ip: string): string {
  const match = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return match?.[1] ?? ip;
}
