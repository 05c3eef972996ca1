/**
 * The set-up the etcd registry tests share: one real etcd per test file (started before its first
 * test), and registries opened on it, each under the prefix its test gives, all closed and etcd
 * stopped after the file's last test.
 */
import { before, after } from 'node:test';
import { EtcdRegistry, type EtcdRegistryOptions } from '../../../src/registry/etcd/etcd-registry.js';
import { startEtcd, type EtcdHandle } from './etcd.js';

export interface EtcdTestServer {
  /** The file's etcd (only once `before` ran: read it inside a test or hook). */
  readonly etcd: EtcdHandle;
  /** A registry opened with `options`, on this etcd unless they name other endpoints; closed after the file's tests. */
  registry(options: EtcdRegistryOptions & { prefix: string }): Promise<EtcdRegistry>;
}

/** Call at a test file's top level: it registers the file's `before` and `after` hooks. */
export function useEtcd(): EtcdTestServer {
  let etcd: EtcdHandle | undefined;
  const open: EtcdRegistry[] = [];
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    for (const r of open) await r.close().catch(() => undefined);
    await etcd?.stop();
  });
  const server: EtcdTestServer = {
    get etcd(): EtcdHandle {
      if (etcd === undefined) throw new Error('etcd is started in the before hook useEtcd registered: read it from a test');
      return etcd;
    },
    async registry(options) {
      const r = new EtcdRegistry({ endpoints: [server.etcd.endpoint], ...options });
      await r.open();
      open.push(r);
      return r;
    },
  };
  return server;
}
