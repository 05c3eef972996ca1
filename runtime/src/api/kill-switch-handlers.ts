/**
 * The kill-switch RPCs of caxton.v1.Caxton (decision 1403): validate, call the node, convert.
 * All four change what runs, so they need the admin token (access.ts lists only reads).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { FreezeResult } from '@caxton/core';
import { unary, type CallContext } from './call-wrappers.js';
import { agentToWire } from '@caxton/client';
import { parseAgentName } from './request-parsing.js';
import type * as W from '@caxton/client';

function scopeOf(req: W.WireFreezeRequest): 'node' | 'cluster' {
  return req.cluster === true ? 'cluster' : 'node';
}

function statusToWire(result: FreezeResult): W.WireKillSwitchStatus {
  const s = result.status;
  return { frozen: s.frozen, nodeFrozen: s.nodeFrozen, clusterFrozen: s.clusterFrozen, suspended: s.suspended };
}

/** Each one changes the node, so each takes it from ctx.node(call): recorded (decision 1701). */
export function killSwitchHandlers(ctx: CallContext): UntypedServiceImplementation {
  return {
    Freeze: unary(ctx, 'Freeze', async (req: W.WireFreezeRequest, call): Promise<W.WireFreezeResponse> => {
      const result = await ctx.node(call).freeze(scopeOf(req));
      return { status: statusToWire(result), drainedMs: result.drainedMs };
    }),

    Thaw: unary(
      ctx,
      'Thaw',
      async (req: W.WireThawRequest, call): Promise<W.WireThawResponse> => ({
        status: statusToWire(await ctx.node(call).thaw(scopeOf(req))),
      }),
    ),

    SuspendAgent: unary(
      ctx,
      'SuspendAgent',
      async (req: W.WireSuspendAgentRequest, call): Promise<W.WireSuspendAgentResponse> => ({
        agent: agentToWire(await ctx.node(call).suspend(parseAgentName(req.name))),
      }),
    ),

    ResumeAgent: unary(
      ctx,
      'ResumeAgent',
      async (req: W.WireSuspendAgentRequest, call): Promise<W.WireSuspendAgentResponse> => ({
        agent: agentToWire(await ctx.node(call).resume(parseAgentName(req.name))),
      }),
    ),
  };
}
