/** Running the `caxton` CLI as a separate process, as a user types it. */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CAXTON_BIN, ROOT } from './paths.js';
import { Proc, type Finished, type SpawnOptions } from './processes.js';

/**
 * The environment of a new user: none of the developer's CAXTON_* settings leak in, nor their
 * named contexts (decision 1840: CAXTON_CONFIG points at a file that is never created).
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CAXTON_') && v !== undefined) env[k] = v;
  env.CAXTON_CONFIG = path.join(tmpdir(), `caxton-e2e-no-contexts-${process.pid}`, 'config.json');
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export interface CliOptions extends Omit<SpawnOptions, 'env'> {
  env?: Record<string, string | undefined>;
}

/** Starts `node cli/bin/caxton.js <args>`; for long-running commands (serve, tail, logs -f). */
export function spawnCaxton(args: readonly string[], opts: CliOptions = {}): Proc {
  return new Proc(process.execPath, [CAXTON_BIN, ...args], { ...opts, cwd: opts.cwd ?? ROOT, env: cleanEnv(opts.env) });
}

/** Runs one `caxton` command to completion. */
export function caxton(args: readonly string[], opts: CliOptions = {}): Promise<Finished> {
  return spawnCaxton(args, opts).done;
}

/** Compact failure text for assertion messages. */
export function show(r: Finished): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** `caxton send <agent> request <content> --wait` against `conn`: the content of the answer. */
export async function askAgent(conn: readonly string[], agent: string, content: string): Promise<string> {
  const r = await caxton(['send', agent, 'request', content, '--wait', '--json', '--timeout', '20', ...conn]);
  if (r.code !== 0) throw new Error(`send to ${agent} failed: ${show(r)}`);
  const answer = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { message?: { content: string } })
    .find((l) => l.message !== undefined);
  if (answer?.message === undefined) throw new Error(`no answer from ${agent}: ${show(r)}`);
  return answer.message.content;
}
