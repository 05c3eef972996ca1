/**
 * The token RPCs of caxton.v1.Caxton: rotating the node's own tokens (decision 1401) and issuing,
 * listing and revoking issued tokens (decision 1760). All need tokens.manage. Rotations, issues and
 * revocations are written ahead to the audit trail (role, agents, label and the new token's id as
 * fields; never a token).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { unary, type CallContext } from './call-wrappers.js';
import { issuedToWire } from '@caxton/client';
import type { TokenIssuer } from './issued-token-file.js';
import type { TokenRotator } from './token-rotation.js';
import type * as W from '@caxton/client';
import { auditArgs } from '../audit/audited-control.js';
import { mintIssuedToken } from './issued-tokens.js';

export function tokenHandlers(ctx: CallContext, rotator: TokenRotator, issuer: TokenIssuer): UntypedServiceImplementation {
  return {
    RotateTokens: unary(ctx, 'RotateTokens', async (req: W.WireRotateTokensRequest, call): Promise<W.WireRotateTokensResponse> => {
      const overlapMs = req.overlapSeconds * 1000;
      const rotated = await ctx.change(call, { method: 'RotateTokens', args: auditArgs({ overlapMs }, {}) }, () =>
        rotator.rotate(overlapMs),
      );
      return { adminToken: rotated.admin, readToken: rotated.read, previousValidUntilUnixMs: rotated.previousValidUntil };
    }),

    IssueToken: unary(ctx, 'IssueToken', async (req: W.WireIssueTokenRequest, call): Promise<W.WireIssueTokenResponse> => {
      const request = { role: req.role, agents: req.agents, ttlMs: req.ttlSeconds * 1000, label: req.label };
      // Minted before the intent so the record can name the token by its id (never the secret).
      const minted = mintIssuedToken();
      const args = auditArgs(request, {
        role: req.role.slice(0, 40),
        agents: req.agents.slice(0, 256),
        label: req.label.slice(0, 64),
        ttlSeconds: String(req.ttlSeconds),
        tokenId: minted.id,
      });
      const { token, record } = await ctx.change(call, { method: 'IssueToken', args }, () => issuer.issue({ ...request, minted }));
      return { token, issued: issuedToWire(record) };
    }),

    ListTokens: unary(
      ctx,
      'ListTokens',
      async (): Promise<W.WireListTokensResponse> => ({ tokens: (await issuer.list()).map(issuedToWire) }),
    ),

    RevokeToken: unary(ctx, 'RevokeToken', async (req: W.WireRevokeTokenRequest, call): Promise<W.WireRevokeTokenResponse> => {
      const id = req.id.slice(0, 64);
      const record = await ctx.change(call, { method: 'RevokeToken', args: auditArgs({ id }, { tokenId: id }) }, () => issuer.revoke(id));
      return { token: issuedToWire(record) };
    }),
  };
}
