/**
 * `serve --health-addr`: grpc.health.v1 alone, in plaintext, on its own port. The kubelet's gRPC
 * probe speaks no TLS and sends no token, while the API port is TLS-only with bearer tokens; this
 * port answers the node's health (node/node-health.ts) and nothing else: no Caxton method, no
 * reflection. It listens from the first moment of start-up (NOT_SERVING until the node has joined),
 * so a startup probe sees "not yet" rather than a refused connection.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { CaxtonError, type NodeHealth } from '@caxton/core';
import { HealthFollower } from './health-follower.js';
import { CAXTON_SERVICE_NAME } from '@caxton/client';
import { urlHost } from '../listener/http-listener.js';

export interface HealthServer {
  readonly port: number;
  refresh(): void;
  close(): Promise<void>;
}

export async function startHealthServer(o: { host: string; port: number; health: () => NodeHealth }): Promise<HealthServer> {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
    throw new CaxtonError('api.bad-config', `health port ${o.port} is not a port number`, {
      kind: 'invalid-argument',
      hint: 'use 0-65535 (0 = any free port)',
    });
  }
  // Probes are tiny: refuse anything bigger than a health request could be.
  const server = new Server({ 'grpc.max_receive_message_length': 4096 });
  const impl = new HealthImplementation({ '': 'NOT_SERVING', [CAXTON_SERVICE_NAME]: 'NOT_SERVING' });
  impl.addToServer(server);
  const follower = new HealthFollower(impl, ['', CAXTON_SERVICE_NAME], o.health);
  const address = `${urlHost(o.host)}:${o.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (err, bound) => {
      if (err) {
        follower.stop();
        reject(
          new CaxtonError('api.unavailable', `cannot listen for health checks on ${address}: ${err.message}`, {
            kind: 'unavailable',
            hint: 'is another program using that port? pick another with --health-addr',
            cause: err,
          }),
        );
      } else resolve(bound);
    });
  });
  let closing: Promise<void> | undefined;
  return {
    port,
    refresh: () => follower.refresh(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        follower.stop();
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return closing;
    },
  };
}
