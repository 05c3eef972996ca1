/**
 * Declarative apply (decision 2169): one file declares the agents and kinds a node or cluster runs;
 * `caxton apply -f` computes the plan against what runs and carries it out, `caxton diff -f` shows
 * it, `caxton delete -f` stops what the file names. The one public entry of the apply package.
 */
import { createHash } from 'node:crypto';
import type { AgentStatus } from '@caxton/core';
import type { DesiredAgent } from './plan.js';
import { ManifestError, type AppManifest, type ManifestProblem } from './manifest.js';

export { APP_API_VERSION, AGENT_FIELDS, appManifestJsonSchema } from './manifest-fields.js';
export {
  MANIFEST_LIMITS,
  ManifestError,
  parseAppManifest,
  type AppManifest,
  type DeclaredAgent,
  type ManifestProblem,
} from './manifest.js';
export { changes, formatStep, planApply, planDelete, type CurrentAgent, type DesiredAgent, type Step } from './plan.js';
export { runSteps, type ApplyClient, type StepOutcome } from './apply-steps.js';

/** A declared agent's component, read (a project directory built) by the caller. */
export interface LoadedComponent {
  bytes: Uint8Array;
  language?: string;
}

/**
 * The declared agents with their components' digests (sha256 of the bytes, as the node records it).
 * Every source is read before anything is applied; those that cannot be (missing, not a component,
 * a failed build) refuse the file whole, each with its entry's line.
 */
export async function desiredAgents(
  manifest: AppManifest,
  load: (source: string, sourceText: string) => Promise<LoadedComponent>,
): Promise<{ desired: DesiredAgent[]; components: Map<string, LoadedComponent> }> {
  const components = new Map<string, LoadedComponent>();
  const desired: DesiredAgent[] = [];
  const problems: ManifestProblem[] = [];
  for (const a of manifest.agents) {
    try {
      const c = await load(a.source, a.sourceText);
      components.set(a.name, c);
      desired.push({ ...a, digest: createHash('sha256').update(c.bytes).digest('hex') });
    } catch (err) {
      problems.push({ line: a.line, column: 1, field: `agents[${a.index}].source`, message: `${a.sourceText}: ${(err as Error).message}` });
    }
  }
  if (problems.length > 0) throw new ManifestError(manifest.file, problems);
  return { desired, components };
}

/** What runs, for the plan: every agent the node lists, in detail (GetAgent: config, limits, replicas). */
export async function currentAgents(client: {
  listAgents(): Promise<Pick<AgentStatus, 'name'>[]>;
  getAgent(name: string): Promise<AgentStatus | (Omit<AgentStatus, 'state'> & { state: string })>;
}): Promise<AgentStatus[]> {
  const names = (await client.listAgents()).map((a) => a.name).filter((n) => !n.includes('/'));
  const out: AgentStatus[] = [];
  for (const name of names) {
    try {
      out.push((await client.getAgent(name)) as AgentStatus);
    } catch (err) {
      // Undeployed between the list and the read: not running.
      if ((err as { kind?: string }).kind !== 'not-found') throw err;
    }
  }
  return out;
}
