/**
 * Keep-alive connection pools for outbound calls. A pooled socket was connected to an address the
 * guard allowed under one policy; pools are therefore keyed by what that decision depended on
 * (scheme, `allowPrivate`, the trusted CAs), so a socket opened under `allowPrivate` is never
 * reused for a call whose rule does not allow private addresses. Trust: the system store Node
 * ships (`tls.rootCertificates`) plus the deployment's `extraCaPem`.
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';

export class ConnectionPools {
  private readonly pools = new Map<string, HttpAgent>();

  constructor(private readonly maxSocketsPerPool = 64) {}

  pool(scheme: 'http' | 'https', allowPrivate: boolean, extraCaPem: string | undefined): HttpAgent {
    const caKey = extraCaPem === undefined ? '' : createHash('sha256').update(extraCaPem).digest('hex');
    const key = `${scheme}|${allowPrivate ? 'p' : '-'}|${caKey}`;
    let agent = this.pools.get(key);
    if (agent === undefined) {
      const common = { keepAlive: true, maxSockets: this.maxSocketsPerPool, maxFreeSockets: 16, scheduling: 'lifo' as const };
      agent =
        scheme === 'http'
          ? new HttpAgent(common)
          : new HttpsAgent({ ...common, ...(extraCaPem === undefined ? {} : { ca: [...rootCertificates, extraCaPem] }) });
      this.pools.set(key, agent);
    }
    return agent;
  }

  close(): void {
    for (const agent of this.pools.values()) agent.destroy();
    this.pools.clear();
  }
}
