/**
 * Carries out a plan (plan.ts) through the API, one step at a time, in order: each is the
 * operator's own call (DeployAgent, UpgradeAgent, ScaleAgent, StopAgent), checked and audited by
 * the node as it always is. The first refusal stops the run with what was done before it, so an
 * apply either completes or says exactly where it stopped; applying the same file again continues
 * from there (the plan is computed afresh and what is done shows as unchanged).
 */
import type { UploadHeader } from '@caxton/client';
import { changes, formatStep, type DesiredAgent, type Step } from './plan.js';

/** What the run needs of a client (CaxtonClient has it). */
export interface ApplyClient {
  deploy(header: UploadHeader, artifact: Uint8Array): Promise<unknown>;
  upgrade(header: UploadHeader, artifact: Uint8Array): Promise<unknown>;
  scale(name: string, replicas: number): Promise<unknown>;
  stop(name: string, force?: boolean, keepQueue?: boolean): Promise<unknown>;
}

export interface StepOutcome {
  step: Step;
  line: string;
  status: 'done' | 'unchanged' | 'refused' | 'failed' | 'not-run';
  error?: { code?: string; message: string };
}

/** What a step sends of a declared agent's component besides its bytes. */
export interface LoadedComponentInfo {
  language?: string;
  /** Its detached signature (DSSE), as `caxton deploy` sends `<artifact>.dsse.json`. */
  signatureEnvelope?: string;
}

/**
 * The header a deploy or upgrade of `want` sends: the file's whole config and what else it names,
 * the component's language and signature. A rollout only when the plan's step says so (a new
 * component): a config change alone is a drain and swap.
 */
export function headerOf(want: DesiredAgent, step: Step, component: LoadedComponentInfo): UploadHeader {
  const h: UploadHeader = { name: want.name, config: want.config };
  if (want.limits !== undefined) h.limits = want.limits;
  if (want.topics !== undefined) h.topics = want.topics;
  if (component.language !== undefined) h.language = component.language;
  if (component.signatureEnvelope !== undefined) h.signatureEnvelope = component.signatureEnvelope;
  if (step.op === 'upgrade') {
    h.replaceConfig = true;
    if (step.rollout && want.rollout !== undefined) h.rollout = want.rollout;
  } else {
    if (want.keepState) h.keepState = true;
    if (want.kind !== undefined) h.kind = { ...want.kind };
    if (want.near !== undefined) h.near = want.near;
  }
  return h;
}

export interface RunOptions {
  /** The component of each declared agent (read once, before the plan). */
  artifact(name: string): { bytes: Uint8Array } & LoadedComponentInfo;
  desired: ReadonlyMap<string, DesiredAgent>;
  /** Told as each step starts (progress on stderr). */
  onStep?: (line: string) => void;
}

/** Runs `steps` in order; stops at the first that fails (the rest `not-run`), whose error comes back as thrown. */
export async function runSteps(
  client: ApplyClient,
  steps: readonly Step[],
  o: RunOptions,
): Promise<{ outcomes: StepOutcome[]; error?: unknown }> {
  const out: StepOutcome[] = [];
  let failed = false;
  let error: unknown;
  for (const step of steps) {
    const line = formatStep(step);
    if (!changes(step)) {
      out.push({ step, line, status: step.op === 'refused' ? 'refused' : 'unchanged' });
      continue;
    }
    if (failed) {
      out.push({ step, line, status: 'not-run' });
      continue;
    }
    o.onStep?.(line);
    try {
      await runStep(client, step, o);
      out.push({ step, line, status: 'done' });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      out.push({
        step,
        line,
        status: 'failed',
        error: { ...(e.code !== undefined ? { code: e.code } : {}), message: e.message ?? String(err) },
      });
      failed = true;
      error = err;
    }
  }
  return failed ? { outcomes: out, error } : { outcomes: out };
}

async function runStep(client: ApplyClient, step: Step, o: RunOptions): Promise<void> {
  switch (step.op) {
    case 'deploy': {
      const a = o.artifact(step.agent);
      await client.deploy(headerOf(o.desired.get(step.agent)!, step, a), a.bytes);
      return;
    }
    case 'upgrade': {
      const a = o.artifact(step.agent);
      await client.upgrade(headerOf(o.desired.get(step.agent)!, step, a), a.bytes);
      return;
    }
    case 'scale':
      await client.scale(step.agent, step.to);
      return;
    case 'stop':
      await client.stop(step.agent);
      return;
    default:
      return;
  }
}
