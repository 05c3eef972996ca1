/**
 * Which agent a sandbox instance's metrics belong to (pure; decisions 2010 and 2101): a replica
 * (`svc#r2`) and a rollout's new instance (`svc#4`) are the agent's, under its own label with an
 * attribute, so neither takes an agent-label slot of its own and per-agent sums count every instance.
 */
import type { AgentRunSample } from './agent-host.js';
import { parseReplicaKey } from './replicas/index.js';
import { parseCandidateKey } from './rollouts/index.js';

/** The sample of the sandbox instance keyed `key` (the agent's name, a replica key or a candidate key). */
export function runSampleOf(key: string, figures: Omit<AgentRunSample, 'agent' | 'replica' | 'candidate'>): AgentRunSample {
  const replica = parseReplicaKey(key);
  if (replica !== undefined) return { agent: replica.agent, replica: replica.replica, ...figures };
  const candidate = parseCandidateKey(key);
  return candidate !== undefined ? { agent: candidate.agent, candidate: true, ...figures } : { agent: key, ...figures };
}
