/**
 * The node's egress: outbound HTTP (decision 1601) and the FIPA HTTP MTP (decision 1910), under the
 * agents' egress rules and the kill switch's hold.
 */
import { failureReply } from '../bus/replies.js';
import type { Bus } from '../bus/bus.js';
import type { EgressHold } from '../http/egress-hold.js';
import { HttpGateway } from '../http/gateway.js';
import { MtpPeerTable, MtpSender, readMtpSigningKeys, type AccEndpoint, type MtpSigningRing } from '../mtp/index.js';
import type { AgentLogs } from '../node/agent-logs.js';
import { HttpEffects } from '../node/http-effects.js';
import type { AgentRecord } from '../storage/records.js';
import type { StartContext } from './start-context.js';

export interface NodeEgress {
  http: HttpGateway;
  httpEffects: HttpEffects;
  mtpPeers: MtpPeerTable | undefined;
  mtpSender: MtpSender | undefined;
  /** The platform's MTP signing keys (decision 2188), when given. */
  mtpSigning: MtpSigningRing | undefined;
  /** The ACC, once it listens (the MTP's return address). */
  acc: { endpoint?: AccEndpoint };
}

export function createEgress(
  ctx: StartContext,
  deps: {
    bus: Bus;
    logs: AgentLogs;
    egressHold: EgressHold;
    /** The HTTP egress rules an agent calls under (the agents' lifecycle, read when it calls). */
    policyOf: (agent: string) => AgentRecord['http'];
    /** Owned by this node (in memory or passivated). */
    isLocal: (agent: string) => boolean;
  },
): NodeEgress {
  const { options, platform, accAdvertised } = ctx;
  const storage = ctx.topology.ports;
  const { bus, logs, egressHold } = deps;
  const acc: { endpoint?: AccEndpoint } = {};
  // Outbound HTTP (decision 1601): answers enter the bus from `http@<platform>`, addressed to the
  // activation that called (a worker's `X#r<k>` too, decision 2163); pending-call records live in
  // the agents' state store (decision 1600).
  const http = new HttpGateway({
    platform,
    send: async (message, messageId) => {
      await bus.send(message, { external: { name: `http@${platform}` }, toActivation: true }, messageId);
    },
    policyOf: deps.policyOf,
    state: storage.state,
    log: (agent, level, message) => logs.append(agent, { level, message, at: Date.now() }),
    // Freeze and suspend hold outbound calls too, not only the dispatch loop (decision 1710).
    hold: egressHold,
  });
  // The FIPA HTTP MTP (decision 1910): agents' messages to peer platforms leave under the same
  // egress rules as their HTTP calls; the return address is known once the ACC listens (below),
  // or is the operator's --mtp-advertise (an ACC behind a wildcard bind, NAT or a proxy).
  const mtpPeers = options.mtp ? new MtpPeerTable(options.mtp.peers) : undefined;
  // Read and checked once, here, before anything is posted (decision 2188).
  const mtpSigning = options.mtp?.signingKeyFile !== undefined ? readMtpSigningKeys(options.mtp.signingKeyFile) : undefined;
  const mtpSender =
    options.mtp && mtpPeers
      ? new MtpSender({
          platform,
          peers: mtpPeers,
          accUrl: () => acc.endpoint && (accAdvertised ?? acc.endpoint.url),
          policyOf: deps.policyOf,
          // Owned here, not "in memory": a passivated instance's posts keep their attempts (review of outboxfix4, round 2).
          isLocal: deps.isLocal,
          // Rejects when the log could not take the failure (only a refusal — the sender gone, its
          // mailbox full — is dropped): the send fails and its handling runs again (review of outboxfix2).
          fail: (original, reason, kind, failureId) =>
            bus.sendPlatformReplies([failureReply(original, bus.platformId, reason, kind)], [failureId], { throwIfNotDurable: true }),
          log: (agent, level, message) => logs.append(agent, { level, message, at: Date.now() }),
          hold: egressHold,
          // Outbox records (durable forwarding) live where pending HTTP calls' records do: the agents' state.
          state: storage.state,
          ...(options.mtp.retry ? { retry: options.mtp.retry } : {}),
          ...(options.mtp.caPem !== undefined ? { caPem: options.mtp.caPem } : {}),
          ...(mtpSigning ? { signing: mtpSigning } : {}),
        })
      : undefined;
  const httpEffects = new HttpEffects(http, (agent, message) => logs.append(agent, { level: 'warn', message, at: Date.now() }));
  return { http, httpEffects, mtpPeers, mtpSender, mtpSigning, acc };
}
