/**
 * Answers one client command like mod_event_socket does (reply texts and order as
 * recorded): `exit`, `auth`, then, once authenticated, `event`, `noevents`, `filter`,
 * `api`, `bgapi`, `sendmsg`; anything else `-ERR command not found`. On a connection the
 * fake dialed (outbound mode) outbound-call.ts answers `connect`, `myevents`, `linger`,
 * `nolinger` and `sendmsg` to its own channel first.
 */
import { randomUUID } from 'node:crypto';
import type { EventHeaders } from '../../src/esl/event.js';
import type { ApiContext, ApiReply } from './api-defaults.js';
import type { ReceivedCommand } from './command-reader.js';
import type { FakeConnection } from './fake-connection.js';
import { apiResponse, commandReply, disconnectNotice } from './serialise.js';

export type Calling = readonly [file: string, fn: string, line: number];

export interface DispatchHost {
  readonly password: string;
  apiReply(name: string): ApiReply | undefined;
  apiContext(connection: FakeConnection): ApiContext;
  /** Completes the headers (core headers) and sends the event to every subscribed connection. */
  fire(headers: EventHeaders, body?: string, calling?: Calling): number;
  sendmsg(connection: FakeConnection, command: ReceivedCommand): void;
}

const API_EVENT: Calling = ['switch_loadable_module.c', 'switch_api_execute', 3140];
const JOB_EVENT: Calling = ['mod_event_socket.c', 'api_exec', 1580];

/** Handles one command; resolves when its reply is queued (api blocks the connection like FreeSWITCH). */
export async function dispatch(host: DispatchHost, connection: FakeConnection, command: ReceivedCommand): Promise<void> {
  const line = command.line.trim();
  const [verb = '', ...words] = line.split(/\s+/);
  const reply = (text: string, headers: Record<string, string> = {}): void => connection.send(commandReply(text, headers), 'reply');
  if (verb === 'exit' || verb === '...') {
    reply('+OK bye');
    connection.send(disconnectNotice(), 'reply');
    connection.endAfterWrites();
    return;
  }
  if (connection.outbound?.command(command) === true) return;
  if (!connection.authenticated) {
    if (verb !== 'auth') return reply('-ERR command not found');
    if (line.slice(5) === host.password) {
      connection.authenticated = true;
      return reply('+OK accepted');
    }
    reply('-ERR invalid');
    connection.send(disconnectNotice(), 'reply');
    connection.endAfterWrites();
    return;
  }
  switch (verb) {
    case 'event':
      return reply(connection.subscription.applyEventCommand(words));
    case 'noevents':
      connection.subscription.clear();
      return reply('+OK no longer listening for events');
    case 'filter': {
      const [header, ...value] = words;
      if (header === undefined || value.length === 0) return reply('-ERR invalid syntax');
      connection.subscription.addFilter(header, value.join(' '));
      return reply(`+OK filter added. [${header}]=[${value.join(' ')}]`);
    }
    case 'api': {
      // The api runs on the connection's thread: events fired meanwhile wait behind its reply.
      const output = runApi(host, connection, words);
      connection.send(output.then((text) => apiResponse(text.length === 0 ? '-ERR no reply\n' : text)), 'reply');
      await output;
      fireApiEvent(host, words);
      return;
    }
    case 'bgapi': {
      const jobUuid = command.headers['Job-UUID'] ?? randomUUID();
      reply(`+OK Job-UUID: ${jobUuid}`, { 'Job-UUID': jobUuid });
      // The job runs in the background: the next command is answered meanwhile.
      void runApi(host, connection, words).then((output) => {
        fireApiEvent(host, words);
        const [name = '', ...args] = words;
        const headers: EventHeaders = { 'Event-Name': 'BACKGROUND_JOB', 'Job-UUID': jobUuid, 'Job-Command': name };
        if (args.length > 0) headers['Job-Command-Arg'] = args.join(' ');
        host.fire(headers, output, JOB_EVENT);
      });
      return;
    }
    case 'sendmsg':
      return host.sendmsg(connection, command);
    case 'sendevent': {
      // Recorded reply: `+OK <uuid of the new event>`. With a `unique-id` FreeSWITCH queues
      // the event to that session (no listener sees it); otherwise it is fired.
      const eventUuid = randomUUID();
      const headers: EventHeaders = { 'Event-Name': words[0] ?? 'CUSTOM', ...command.headers };
      const target = Object.keys(command.headers).some((name) => name.toLowerCase() === 'unique-id');
      if (!target) host.fire(headers, command.body);
      return reply(`+OK ${eventUuid}`);
    }
    default:
      return reply('-ERR command not found');
  }
}

async function runApi(host: DispatchHost, connection: FakeConnection, words: readonly string[]): Promise<string> {
  const [name = '', ...args] = words;
  const handler = host.apiReply(name);
  if (handler === undefined) return `-ERR ${name} Command not found!\n`;
  if (typeof handler === 'string') return handler;
  try {
    return await handler(args.join(' '), host.apiContext(connection));
  } catch (error) {
    return `-ERR ${error instanceof Error ? error.message : String(error)}\n`;
  }
}

function fireApiEvent(host: DispatchHost, words: readonly string[]): void {
  const [name = '', ...args] = words;
  const headers: EventHeaders = { 'Event-Name': 'API', 'API-Command': name };
  if (args.length > 0) headers['API-Command-Argument'] = args.join(' ');
  host.fire(headers, undefined, API_EVENT);
}
