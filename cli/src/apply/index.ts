/**
 * Declarative apply (decision 2169): one file declares the agents and kinds a node or cluster runs;
 * `caxton apply -f` computes the plan against what runs and carries it out, `caxton diff -f` shows
 * it, `caxton delete -f` stops what the file names. The one public entry of the apply package.
 */
import { createHash } from 'node:crypto';
import type { DesiredAgent } from './plan.js';
import { ManifestError, type AppManifest, type ManifestProblem } from './manifest.js';
import type { LoadedComponentInfo } from './apply-steps.js';

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
export { headerOf, runSteps, type ApplyClient, type LoadedComponentInfo, type StepOutcome } from './apply-steps.js';

/** A declared agent's component, read (a project directory built) by the caller, with its language and signature. */
export interface LoadedComponent extends LoadedComponentInfo {
  bytes: Uint8Array;
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
      // A registry's refusal (unreachable, credentials, not there: decision 2172) is not the file's
      // mistake: it stops the apply with its own exit code and hint.
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('oci.') && code !== 'oci.invalid-reference') throw err;
      const e = err as { message?: string; hint?: string };
      problems.push({
        line: a.line,
        column: 1,
        field: `agents[${a.index}].source`,
        message: `${e.message ?? String(err)}${e.hint ? ` (${e.hint})` : ''}`,
      });
    }
  }
  if (problems.length > 0) throw new ManifestError(manifest.file, problems);
  return { desired, components };
}

/** What runs, for the plan: every agent the node lists (ListAgents answers each one's whole status), instances of kinds left out. */
export async function currentAgents<A extends { name: string }>(client: { listAgents(): Promise<A[]> }): Promise<A[]> {
  return (await client.listAgents()).filter((a) => !a.name.includes('/'));
}
