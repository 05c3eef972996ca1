/**
 * ListAudit (decision 1402): the trail's stored records from a position, oldest first, then —
 * when following — each new one. Records go out as stored, unchecked: the client verifies the chain
 * (`caxton audit verify`), so a node that was tampered with cannot vouch for its own trail.
 *
 * Unlike the other server streams this one honours backpressure instead of failing a slow reader:
 * verifying a long trail is a slow reader by design.
 */
import { Metadata, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { once } from 'node:events';
import type { StoredAuditRecord } from '@caxton/core';
import type { AuditTrail } from '../audit/audit-trail.js';
import { AuditError } from '../audit/errors.js';
import { refuseStreamPastLimit, unary, type CallContext } from './call-wrappers.js';
import { toGrpcStatus } from '@caxton/client';
import type * as W from '@caxton/client';

const PAGE = 256;

function parseRequest(req: W.WireListAuditRequest): { from: number; limit: number; follow: boolean } {
  const from = Number(req.from ?? 0);
  const limit = Number(req.limit ?? 0);
  if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(limit) || limit < 0) {
    throw new AuditError('audit.invalid', `cannot list audit records from ${req.from}, limit ${req.limit}`, {
      hint: 'from and limit are whole numbers ≥ 0 (limit 0: all)',
    });
  }
  return { from, limit: limit === 0 ? Number.POSITIVE_INFINITY : limit, follow: req.follow === true };
}

function toWire(record: StoredAuditRecord): W.WireAuditRecordEntry {
  return { position: record.position, record: record.bytes };
}

export function auditHandlers(ctx: CallContext, trail: AuditTrail | undefined): UntypedServiceImplementation {
  return {
    GetAuditAnchor: unary(ctx, 'GetAuditAnchor', async (): Promise<W.WireGetAuditAnchorResponse> => {
      if (!trail?.anchorInfo)
        throw new AuditError('audit.unavailable', 'this node keeps no anchored audit trail', {
          hint: 'the node was started without one (an embedder passed a bare trail)',
        });
      const info = await trail.anchorInfo();
      return { publicKey: info.key, anchor: info.anchor ?? '' };
    }),

    ListAudit: (call: ServerWritableStream<W.WireListAuditRequest, W.WireAuditRecordEntry>) => {
      let done = false;
      let stopFollowing: (() => void) | undefined;
      const finish = (err?: Error): void => {
        if (done) return;
        done = true;
        ctx.streams.delete(finish);
        stopFollowing?.();
        if (call.cancelled || call.destroyed) return;
        if (err) call.emit('error', toGrpcStatus(err, 'ListAudit', ctx.report));
        else call.end();
      };
      call.on('cancelled', () => finish());
      call.on('close', () => finish());
      // Resolves once the stream can take more (or is gone).
      const ready = async (): Promise<void> => {
        if (done || call.writableLength < PAGE) return;
        await Promise.race([once(call, 'drain'), once(call, 'close')]);
      };
      void (async () => {
        try {
          ctx.authenticate(call.metadata, 'ListAudit');
          if (!trail)
            throw new AuditError('audit.unavailable', 'this node keeps no audit trail', {
              hint: 'the node was started without one (an embedder passed no trail)',
            });
          const { from, limit, follow } = parseRequest(call.request);
          refuseStreamPastLimit(ctx);
          ctx.streams.add(finish);
          call.sendMetadata(new Metadata());
          if (follow) {
            stopFollowing = trail.follow(
              from,
              {
                next: (r) => {
                  if (!done) call.write(toWire(r));
                },
                end: (err) => finish(err),
              },
              { ready },
            );
            return;
          }
          let next = from;
          let left = limit;
          while (!done && left > 0) {
            const asked = Math.min(PAGE, left);
            const page = await trail.read(next, asked);
            for (const record of page) if (!done) call.write(toWire(record));
            // From the last position read, not by counting: a trail may skip positions (pruned or deleted segments, decision 1790).
            if (page.length > 0) next = page[page.length - 1]!.position + 1;
            left -= page.length;
            if (page.length < asked) break;
            await ready();
          }
          finish();
        } catch (err) {
          finish(err as Error);
        }
      })();
    },
  };
}
