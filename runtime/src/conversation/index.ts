/** A request sent for a client and followed to the agent's answer (MCP, A2A): its one public entry point. */
export { isFromAgent, replyVerdict, type FollowedCall, type ReplyVerdict } from './reply-rule.js';
export { requestAndFollow, unansweredText, type FollowedOutcome, type FollowedRequest } from './request-and-follow.js';
