/**
 * The types of a cti_bridge call's channel and dependencies, shared by bridge-call.ts and
 * dial-plan.ts (which bridge-call.ts imports: kept here so that neither imports the other back).
 */
import type { Registry } from 'prom-client';
import type { OutboundSession } from '../esl/outbound-session.js';
import type { FsPolicy } from '../fs-lang/policy.js';
import type { LinegroupResolver } from '../linegroups/resolver.js';
import type { DidOutLookup } from '../nacd/did-out.js';
import type { Logger } from '../logger.js';
import type { WebhookClient } from '../webhook/index.js';
import type { AllowedUrls } from './allowed-urls.js';

export type BridgeChannel = Pick<OutboundSession, 'uuid' | 'channelData' | 'answerState' | 'on' | 'off' | 'whenEnded' | 'hungUp' | 'execute' | 'hangup' | 'command' | 'linger' | 'api'>;

export interface BridgeDeps {
  webhooks: WebhookClient;
  logger: Logger;
  /** Resolves `linegroup/...` dials; without it they end with BRIDGE_BAD_REPLY. */
  resolver?: LinegroupResolver;
  /** Sofia profile of `ip` dials that name none (default `external`). */
  defaultProfile?: string;
  /** How long to wait for a B leg's CHANNEL_HANGUP_COMPLETE after its bridge returned (default 2000). */
  legHangupWaitMs?: number;
  /** The service's metrics registry (`freecti_bridge_calls_total`); none: not counted. */
  registry?: Registry;
  /** URLs a cti_bridge may ask (config `bridge.allowedUrls`); none: the loopback defaults. */
  allowedUrls?: AllowedUrls;
  /** What a reply may make FreeSWITCH dial (config `security`); none: the defaults. */
  policy?: FsPolicy;
  /**
   * The nacd DID-out table (src/nacd/did-out.ts): the calling extension's caller id on legs
   * that leave without one, and the route of `nout/` legs and gateway-less dials; none: not applied.
   */
  didOut?: DidOutLookup;
}
