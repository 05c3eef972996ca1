/**
 * The dead-letter RPCs of caxton.v1.Caxton (decision 1860): validate (dead-letter-requests.ts),
 * call the node, convert. Redrive and purge change the node, so they take it from ctx.node(call):
 * recorded, intent and outcome (decision 1701).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { NodeControl } from '@caxton/core';
import { deadLetterToWire } from '@caxton/client';
import type * as W from '@caxton/client';
import { unary, type CallContext } from './call-wrappers.js';
import { parseLetterId, parseListDeadLetters, parseRedrive, parseSelection } from './dead-letter-requests.js';

export function deadLetterHandlers(ctx: CallContext, node: NodeControl): UntypedServiceImplementation {
  return {
    ListDeadLetters: unary(
      ctx,
      'ListDeadLetters',
      async (req: W.WireListDeadLettersRequest): Promise<W.WireListDeadLettersResponse> => ({
        letters: (await node.listDeadLetters(parseListDeadLetters(req))).map(deadLetterToWire),
      }),
    ),

    GetDeadLetter: unary(
      ctx,
      'GetDeadLetter',
      async (req: W.WireGetDeadLetterRequest): Promise<W.WireGetDeadLetterResponse> => ({
        letter: deadLetterToWire(await node.getDeadLetter(parseLetterId(req.id))),
      }),
    ),

    RedriveDeadLetters: unary(
      ctx,
      'RedriveDeadLetters',
      async (req: W.WireRedriveDeadLettersRequest, call): Promise<W.WireRedriveDeadLettersResponse> => ({
        redriven: (await ctx.node(call).redriveDeadLetters(parseRedrive(req))).redriven,
      }),
    ),

    PurgeDeadLetters: unary(
      ctx,
      'PurgeDeadLetters',
      async (req: W.WirePurgeDeadLettersRequest, call): Promise<W.WirePurgeDeadLettersResponse> => ({
        purged: (await ctx.node(call).purgeDeadLetters(parseSelection(req))).purged,
      }),
    ),
  };
}
