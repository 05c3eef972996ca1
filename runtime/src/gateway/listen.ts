/**
 * A gateway's listener: the node's HTTP(S) listener (the certificate `--listener-cert/--listener-key`
 * gives), with the bounds every gateway sets.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LISTENER_CERT_FLAGS, listenHttp, type HttpListener, type ListenerFailure } from '../listener/index.js';
import type { GatewayOptions } from './gateway-options.js';

export interface GatewayListen {
  /** The flag that sets its address (`--a2a`), for the hints. */
  flag: string;
  fail: ListenerFailure;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** How long a call waits for its agent's answer: a request may last that long. */
  callTimeoutMs: number;
}

export function listenGateway(o: GatewayOptions, g: GatewayListen): Promise<HttpListener> {
  return listenHttp({
    host: o.host,
    port: o.port,
    ...(o.tls ? { tls: o.tls } : {}),
    listenFlag: g.flag,
    certFlags: LISTENER_CERT_FLAGS,
    fail: g.fail,
    handler: g.handler,
    tune: (server) => {
      server.headersTimeout = 20_000;
      // Past the call's own timeout, so a response as long as its call (an A2A stream) is never cut by the server.
      server.requestTimeout = g.callTimeoutMs + 30_000;
      server.maxHeadersCount = 64;
    },
  });
}
