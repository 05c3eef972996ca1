/**
 * One gateway's HTTP front (A2A, MCP), what it does before its protocol's SDK sees a request, set up
 * once with the gateway's name, body limit and refusals:
 * - who calls, as the gRPC API would have it: the same tokens and roles. Every request needs
 *   `directory.read` (which every role holds), checked before a byte of its body is read; refusals
 *   for credentials are audited as the gateway's call; sends go through the audited control surface
 *   as the caller (decision 1701);
 * - the body, bounded (request-body.ts), and the listener (listen.ts).
 */
import type { IncomingMessage } from 'node:http';
import { CaxtonError, type AuditRole, type NodeControl, type Principal } from '@caxton/core';
import { requireAllowed } from '../api/access.js';
import { httpCaller } from '../api/caller.js';
import type { AuditCaller, AuditedCall } from '../audit/audited-control.js';
import type { BodyLimit } from '../console/request-body.js';
import type { HttpListener } from '../listener/index.js';
import type { GatewayOptions } from './gateway-options.js';
import { listenGateway, type GatewayListen } from './listen.js';
import type { Refusal } from './refusal.js';
import { declaredTooLarge, readGatewayBody, type BodyRefusals } from './request-body.js';

export interface GatewayShape {
  /** The gateway's name in its callers' peer (`a2a 127.0.0.1:53412`) and its messages. */
  name: string;
  body: BodyLimit;
  /** Its status and code for each refusal of a body; a declared size above the limit is refused as `too-large`. */
  bodyRefusals: BodyRefusals;
}

export class GatewayFront {
  /** Where a failure that is not the caller's goes: the gateway's onInternalError, or stderr. */
  readonly report: (err: unknown) => void;

  constructor(
    private readonly o: GatewayOptions,
    private readonly g: GatewayShape,
  ) {
    this.report = o.onInternalError ?? ((err: unknown) => console.error(`caxton ${g.name}: internal error:`, err));
  }

  callerOf(req: IncomingMessage, role: AuditRole): AuditCaller {
    return httpCaller(this.g.name, req, role);
  }

  /**
   * Records a refused call (when the node keeps an audit trail; `call` is made only then); a failure
   * to record is reported, not raised.
   */
  async auditRefusal(req: IncomingMessage, principal: Principal | undefined, call: () => AuditedCall, err: unknown): Promise<void> {
    if (this.o.audited) await this.o.audited.refused(this.callerOf(req, principal?.role ?? 'none'), call(), err).catch(this.report);
  }

  /**
   * The principal the request's bearer token names, allowed `directory.read`. A refusal is audited
   * as `call`: 401 with a Bearer challenge without a valid token, 403 otherwise.
   */
  async authenticate(req: IncomingMessage, call: () => AuditedCall): Promise<{ principal: Principal } | { refused: Refusal }> {
    let principal: Principal | undefined;
    try {
      const header = req.headers.authorization;
      principal = this.o.resolvePrincipal(header === undefined ? [] : [header]);
      // Every request reads the directory (A2A: the card or the agent's tasks; MCP: tools,
      // resources): directory.read, which every role holds.
      requireAllowed(principal, 'SearchDirectory');
      return { principal };
    } catch (err) {
      await this.auditRefusal(req, principal, call, err);
      const e = err instanceof CaxtonError ? err : undefined;
      const status = e?.kind === 'unauthenticated' ? 401 : 403;
      return {
        refused: {
          status,
          code: e?.code ?? 'api.permission-denied',
          message: e?.message ?? 'refused',
          hint: e?.hint ?? 'present a Caxton token: Authorization: Bearer <token>',
          headers: status === 401 ? { 'www-authenticate': 'Bearer' } : {},
        },
      };
    }
  }

  /** How `principal` sends: through the audited control as the caller (else `control`), an admin on the operator lane. */
  sender(req: IncomingMessage, principal: Principal): { caller: AuditCaller; control: NodeControl; lane: 'operator' | 'client' } {
    const caller = this.callerOf(req, principal.role);
    return {
      caller,
      control: this.o.audited ? this.o.audited.as(caller) : this.o.control,
      lane: principal.role === 'admin' ? 'operator' : 'client',
    };
  }

  /** The refusal of a body declared too large, before a byte of it is read; undefined: it may be read. */
  declaredTooLarge(req: IncomingMessage): Refusal | undefined {
    return declaredTooLarge(req, this.g.body, this.g.bodyRefusals['too-large'].code);
  }

  readBody(req: IncomingMessage): Promise<{ body: unknown } | { refused: Refusal }> {
    return readGatewayBody(req, this.g.body, this.g.bodyRefusals);
  }

  listen(l: GatewayListen): Promise<HttpListener> {
    return listenGateway(this.o, l);
  }
}
