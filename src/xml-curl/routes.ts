/**
 * `POST /freeswitch/xml`: the mod_xml_curl gateway-url (docs/xml-curl.md).
 *
 * Always answers 200 `text/xml` with a well-formed document: the section handler's
 * answer, or "not found" for an unknown section, a missing handler, a handler error
 * or a request we refuse. FreeSWITCH falls back to its static XML on "not found".
 *
 * The endpoint hands out passwords, so it only answers addresses in
 * `xmlCurl.allowFrom` (default loopback) and, when `xmlCurl.credentials` is set,
 * requests with that HTTP basic auth (`gateway-credentials` in xml_curl.conf.xml).
 */
import type { AppPlugin } from '../http/route-deps.js';
import { parseCidrList } from '../directory/cidr.js';
import { MAX_FORM_BYTES, parseXmlCurlForm } from './request.js';
import { NOT_FOUND_DOCUMENT } from './xml.js';
import { matchesAnyDigest, secretDigest } from '../secret-digest.js';

const XML_TYPE = 'text/xml';

export const xmlCurlRoutes: AppPlugin = async (app, deps) => {
  const { config, logger, openapi } = deps;
  // The section handlers (directory, dialplan) are built by src/services.ts.
  const sections = deps.services.xmlCurl;
  const log = logger.child({ component: 'xml-curl' });
  const allowList = parseCidrList(config.xmlCurl.allowFrom.join(','));
  // FreeSWITCH nodes are few: remember each peer's verdict (bounded).
  const verdicts = new Map<string, boolean>();
  const allowed = (ip: string): boolean => {
    let verdict = verdicts.get(ip);
    if (verdict === undefined) {
      verdict = allowList.contains(ip);
      if (verdicts.size >= 1024) verdicts.clear();
      verdicts.set(ip, verdict);
    }
    return verdict;
  };
  const expected = config.xmlCurl.credentials === undefined ? undefined : secretDigest(`Basic ${Buffer.from(config.xmlCurl.credentials).toString('base64')}`);

  // Whatever goes wrong before the handler (a body over the limit, a broken request),
  // FreeSWITCH gets a well-formed "not found", never a JSON error or a 500.
  app.setErrorHandler(async (error, request, reply) => {
    log.warn({ err: (error as Error).message, ip: request.ip }, 'xml_curl request failed; answered not found');
    return reply.code(200).header('content-type', XML_TYPE).send(NOT_FOUND_DOCUMENT);
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_FORM_BYTES }, (_req, body, done) => done(null, body));

  openapi.addTag('freeswitch', 'Endpoints FreeSWITCH itself calls');
  openapi.addPath('/freeswitch/xml', 'post', {
    summary: 'mod_xml_curl gateway-url (directory, and dialplan when routing is enabled)',
    description: 'Form fields exactly as mod_xml_curl sends them. Always 200 text/xml; "not found" makes FreeSWITCH use its static XML.',
    operationId: 'xmlCurl',
    tags: ['freeswitch'],
    requestBody: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', additionalProperties: { type: 'string' } } } } },
    responses: { '200': { description: 'FreeSWITCH XML document', content: { 'text/xml': { schema: { type: 'string' } } } } },
  });

  app.post('/freeswitch/xml', async (request, reply) => {
    void reply.header('content-type', XML_TYPE);
    if (!allowed(request.ip)) {
      log.warn({ ip: request.ip }, 'xml_curl request from an address outside xmlCurl.allowFrom refused');
      return reply.code(403).send(NOT_FOUND_DOCUMENT);
    }
    if (expected !== undefined) {
      const given = request.headers.authorization;
      if (given === undefined || !matchesAnyDigest(given, [expected])) {
        log.warn({ ip: request.ip }, 'xml_curl request without the configured credentials refused');
        return reply.code(401).send(NOT_FOUND_DOCUMENT);
      }
    }
    const body = typeof request.body === 'string' ? request.body : '';
    const req = parseXmlCurlForm(body);
    const handler = sections.handler(req.section);
    if (handler === undefined) return NOT_FOUND_DOCUMENT;
    try {
      return await handler(req);
    } catch (error) {
      log.error({ err: error, section: req.section }, 'xml_curl handler failed; answered not found');
      return NOT_FOUND_DOCUMENT;
    }
  });
};
