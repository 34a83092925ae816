/**
 * The trivial mod_xml_curl responder of the REGISTER storm (issue 14): node:http, answers
 * every directory lookup that names a user from memory (password acc-9f3k2, the same params
 * and variables freecti serves for the storm's extensions), "not found" otherwise. No Redis, no
 * checks, no registration state: it has no event work at all.
 *
 *   node --import tsx scripts/register-storm/trivial-responder.ts <port>
 *
 * Prints `READY <port>` once listening. `GET /stats` answers (and resets) the lookups served
 * since the last call: count, connections accepted, and the time from a connection's accept to
 * the end of its answer (what this process adds to FreeSWITCH's wait, queueing included):
 * mean, p50, p99 in ms.
 */
import { createServer, type IncomingMessage } from 'node:http';

const NOT_FOUND = '<document type="freeswitch/xml"><section name="result"><result status="not found"/></section></document>\n';
const DIAL_STRING = '{^^:sip_invite_domain=${dialed_domain}:presence_id=${dialed_user}@${dialed_domain}}${sofia_contact(*/${dialed_user}@${dialed_domain})}';
const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function userDocument(domain: string, user: string): string {
  return (
    `<document type="freeswitch/xml">\n  <section name="directory">\n    <domain name="${xmlEscape(domain)}">\n      <user id="${xmlEscape(user)}">\n` +
    `        <params>\n          <param name="password" value="acc-9f3k2"/>\n          <param name="vm-password" value="${xmlEscape(user)}"/>\n` +
    `          <param name="dial-string" value="${xmlEscape(DIAL_STRING)}"/>\n        </params>\n        <variables>\n` +
    `          <variable name="toll_allow" value="domestic,international,local"/>\n          <variable name="accountcode" value="${xmlEscape(user)}"/>\n` +
    `          <variable name="user_context" value="default"/>\n          <variable name="effective_caller_id_name" value="Extension ${xmlEscape(user)}"/>\n` +
    `          <variable name="effective_caller_id_number" value="${xmlEscape(user)}"/>\n          <variable name="callgroup" value="techsupport"/>\n` +
    `        </variables>\n      </user>\n    </domain>\n  </section>\n</document>\n`
  );
}

let times: number[] = [];
let connections = 0;
const accepted = new WeakMap<object, bigint>();

const server = createServer((req: IncomingMessage, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    const sorted = times.sort((a, b) => a - b);
    const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
    const mean = sorted.length === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / sorted.length;
    const body = JSON.stringify({ lookups: sorted.length, connections, mean_ms: +mean.toFixed(3), p50_ms: +at(50).toFixed(3), p99_ms: +at(99).toFixed(3) });
    times = [];
    connections = 0;
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    return;
  }
  const started = accepted.get(req.socket) ?? process.hrtime.bigint();
  let body = '';
  req.setEncoding('latin1');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const form = new URLSearchParams(body);
    const user = form.get('user');
    const domain = form.get('domain') ?? form.get('key_value');
    const doc = form.get('section') === 'directory' && user && domain ? userDocument(domain, user) : NOT_FOUND;
    res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(doc) });
    res.end(doc, () => times.push(Number(process.hrtime.bigint() - started) / 1e6));
  });
});
server.on('connection', (socket) => {
  connections++;
  accepted.set(socket, process.hrtime.bigint());
});
const port = Number(process.argv[2] ?? 0);
server.listen(port, '127.0.0.1', () => process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close(() => process.exit(0)));
