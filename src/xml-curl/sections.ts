/**
 * The mod_xml_curl section dispatcher. FreeSWITCH asks one URL for every section it
 * binds (`bindings="directory|dialplan"`); each section has at most one handler.
 *
 * How a feature serves a section (e.g. the routing feature for `dialplan`):
 *
 *     // in its fastify plugin (an AppPlugin, deps: RouteDeps)
 *     deps.xmlCurl.register('dialplan', async (req) => buildDialplanXml(req));
 *
 * A handler receives the parsed form (`req.get('Hunt-Destination-Number')`, ...) and
 * returns the complete XML document. It may return NOT_FOUND_DOCUMENT (xml.ts) to let
 * FreeSWITCH use its static XML. If it throws, the endpoint logs the error and answers
 * "not found": FreeSWITCH never gets a 500 or a malformed document from us.
 */
import type { XmlCurlRequest } from './request.js';

export type XmlCurlHandler = (req: XmlCurlRequest) => Promise<string>;

export class XmlCurlSections {
  private readonly handlers = new Map<string, XmlCurlHandler>();

  /** Registers the handler of one section; registering a section twice is a programming error. */
  register(section: string, handler: XmlCurlHandler): void {
    if (this.handlers.has(section)) throw new Error(`xml_curl section '${section}' already has a handler`);
    this.handlers.set(section, handler);
  }

  /** The handler of a section, or undefined (the endpoint answers "not found"). */
  handler(section: string): XmlCurlHandler | undefined {
    return this.handlers.get(section);
  }

  has(section: string): boolean {
    return this.handlers.has(section);
  }

  sections(): string[] {
    return [...this.handlers.keys()];
  }
}
