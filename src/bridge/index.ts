/** The HTTP bridge, mod_cti's `cti_bridge` (docs/bridge.md). */
export { attachBridge, handleBridgeSession, isBridgeSession } from './attach.js';
export { BRIDGE_CAUSES, runBridge, type BridgeChannel, type BridgeDeps, type BridgeRequest, type BridgeResult } from './bridge-call.js';
export { parseBridgeArgs, type BridgeArgs } from './args.js';
export { planDial, type DialPlan } from './dial-target.js';
export { parseBridgeReply, type BridgeReply } from './reply.js';
export { startOutboundSockets, type OutboundSockets } from './outbound-wiring.js';
