/** The conversation-costs RPC of caxton.v1.Caxton (decision 2184): check the query, read the node, convert. */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { parseConversationCostsQuery, type NodeControl } from '@caxton/core';
import { conversationCostsToWire } from '@caxton/client';
import type * as W from '@caxton/client';
import { unary, type CallContext } from './call-wrappers.js';

export function costHandlers(ctx: CallContext, node: NodeControl): UntypedServiceImplementation {
  return {
    GetConversationCosts: unary(
      ctx,
      'GetConversationCosts',
      async (req: W.WireGetConversationCostsRequest): Promise<W.WireGetConversationCostsResponse> =>
        conversationCostsToWire(
          await node.conversationCosts(
            parseConversationCostsQuery({ sort: req.sort, limit: req.limit, conversationId: req.conversationId }),
          ),
        ),
    ),
  };
}
