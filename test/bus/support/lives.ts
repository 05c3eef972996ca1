/**
 * Lives of a crash-test child (issue 24): the child runs a node on one data directory until its
 * work is done; each life is started with a fault point armed (CAXTON_FAULT_POINT), so it may end
 * with SIGKILL exactly at a step boundary of a handling plan, and the next life resumes on the
 * same directory. Lives continue until one exits normally (code 0).
 */
import { spawnCrashChild } from './crash-child.js';

export interface Life {
  fault: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export interface LivesOptions {
  /** The child script under test/dist/bus/crash/. */
  child: string;
  /** Its arguments; `mode` is `start` for the first life, `resume` after. */
  args: (mode: 'start' | 'resume') => string[];
  /**
   * The fault point to arm in the next life, given the lives so far (the data directory is free:
   * no child runs), or undefined for none (that life should finish).
   */
  faultPoint: (lives: readonly Life[]) => string | undefined | Promise<string | undefined>;
  /** Lives before the test gives up. */
  maxLives: number;
  /** Extra environment for every life. */
  env?: Record<string, string>;
  /** Wall-clock limit of one life. Default 60 s. */
  lifeTimeoutMs?: number;
}

export async function runLives(o: LivesOptions): Promise<Life[]> {
  const lives: Life[] = [];
  for (let i = 0; i < o.maxLives; i++) {
    const fault = await o.faultPoint(lives);
    const life = await runLife(o, i === 0 ? 'start' : 'resume', fault);
    lives.push(life);
    if (life.code === 0) return lives;
    if (life.signal !== 'SIGKILL') {
      throw new Error(
        `life ${i} (fault ${fault ?? '-'}) ended with code ${life.code}, signal ${life.signal}:\n${life.output.slice(-3000)}`,
      );
    }
  }
  throw new Error(
    `no life finished in ${o.maxLives}: ${lives.map((l) => `${l.fault}:${l.signal ?? l.code}`).join(', ')}\n${lives.at(-1)?.output.slice(-2000) ?? ''}`,
  );
}

async function runLife(o: LivesOptions, mode: 'start' | 'resume', fault: string | undefined): Promise<Life> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...o.env };
  delete env['CAXTON_FAULT_POINT'];
  if (fault !== undefined) env['CAXTON_FAULT_POINT'] = fault;
  const child = spawnCrashChild(o.child, o.args(mode), env);
  const timer = setTimeout(() => {
    child.output += `\n[test] life exceeded ${o.lifeTimeoutMs ?? 60_000} ms: killed\n`;
    child.proc.kill('SIGTERM');
  }, o.lifeTimeoutMs ?? 60_000);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  return { fault: fault ?? '-', code, signal, output: child.output };
}
