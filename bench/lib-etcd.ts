/**
 * The etcd a bench runs against: the one `--etcd host:port` names (left running), else one started
 * from scripts/infra for the run (stopped by `stop()`).
 */
import { arg } from './lib-args.js';

export interface EtcdHandle {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startEtcd(): Promise<EtcdHandle> {
  const given = arg('etcd', '');
  if (given) return { endpoint: given, stop: async () => undefined };
  // Compiled to bench/dist/: the infra scripts are two levels up.
  const infra = (await import(new URL('../../scripts/infra/index.mjs', import.meta.url).href)) as { startEtcd: () => Promise<EtcdHandle> };
  return infra.startEtcd();
}
