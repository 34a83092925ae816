export { FakeFreeSwitch, type FakeFreeSwitchOptions } from './fake-freeswitch.js';
export type { ApiContext, ApiHandler, ApiReply } from './api-defaults.js';
export type { ChannelInit, FakeChannel } from './channels.js';
export type { CommandMatch, LoggedCommand } from './command-log.js';
export type { ExecuteContext, ExecuteHandler, ExecuteResult } from './sendmsg.js';
export { RecordedPlayer } from './recorded-player.js';
export { OutboundCall, type DialOptions, type OutboundResult } from './outbound-call.js';
