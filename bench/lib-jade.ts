/**
 * JADE as the bus bench's peer (issue 25): the same ping-pong shape on a real JADE platform, in the
 * same run, so the ratio compares like with like on the same machine and the same load. The jar
 * comes from CAXTON_JADE_JAR (JADE is LGPL and not shipped here); the harness is our own
 * bench/jade/JadePingPong.java, compiled once per source version into the temp directory.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface JadeRun {
  msgsPerSecond: number;
  cpuUsPerMessage: number;
  /** Cores the JVM used over the window (process CPU time ÷ wall time). */
  cores: number;
  jar: string;
}

export type JadeOutcome = { ran: true; run: JadeRun } | { ran: false; why: string };

const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'jade', 'JadePingPong.java');
const HOW_TO_GET =
  'set CAXTON_JADE_JAR to a JADE 4.6.x jade.jar (https://jade.tilab.com, LGPL; or built from github.com/EnFlexIT/JADE) and have Java 17 (java, javac) on PATH';

function run(cmd: string, args: string[], timeoutMs: number, cwd?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 << 20, ...(cwd ? { cwd } : {}) }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

/** Where the compiled harness lives: keyed by the source's and the jar's bytes, kept (a known cache to scripts/test-run/temp-leftovers.mjs). */
async function compiled(jar: string): Promise<string> {
  const key = createHash('sha256').update(readFileSync(SOURCE)).update(readFileSync(jar)).digest('hex').slice(0, 16);
  const dir = path.join(tmpdir(), `caxton-jade-bench-${key}`);
  if (!existsSync(path.join(dir, 'JadePingPong.class'))) {
    mkdirSync(dir, { recursive: true });
    await run('javac', ['-nowarn', '-encoding', 'UTF-8', '-d', dir, '-cp', jar, SOURCE], 120_000);
  }
  return dir;
}

/** Parses `RESULT key=value …` from the harness's stdout. */
export function parseJadeResult(stdout: string): Omit<JadeRun, 'jar'> | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) return undefined;
  const fields = new Map(
    line
      .slice('RESULT '.length)
      .trim()
      .split(/\s+/)
      .map((kv) => kv.split('=', 2) as [string, string]),
  );
  const msgsPerSecond = Number(fields.get('msgs_per_s'));
  const cpuUsPerMessage = Number(fields.get('cpu_us_per_msg'));
  const cores = Number(fields.get('cores'));
  if (!Number.isFinite(msgsPerSecond) || msgsPerSecond <= 0) return undefined;
  return { msgsPerSecond, cpuUsPerMessage, cores };
}

/**
 * Runs JADE's ping-pong (`pairs` × `chains`, `seconds` counted after a warm-up) when a jar and a
 * JDK are available; otherwise says why not and how to get them.
 */
export async function runJadePingPong(o: { pairs: number; chains: number; seconds: number }): Promise<JadeOutcome> {
  const jar = process.env['CAXTON_JADE_JAR'];
  if (!jar) return { ran: false, why: `CAXTON_JADE_JAR is not set; ${HOW_TO_GET}` };
  if (!existsSync(jar)) return { ran: false, why: `CAXTON_JADE_JAR=${jar} does not exist; ${HOW_TO_GET}` };
  try {
    await run('java', ['-version'], 30_000);
  } catch {
    return { ran: false, why: `no java on PATH; ${HOW_TO_GET}` };
  }
  let classes: string;
  try {
    classes = await compiled(jar);
  } catch (err) {
    return {
      ran: false,
      why: `compiling bench/jade/JadePingPong.java failed (${(err as { stderr?: string }).stderr?.trim() || String(err)}); ${HOW_TO_GET}`,
    };
  }
  const args = [
    '-Xms1g',
    '-Xmx1g',
    '-XX:+UseG1GC',
    '-cp',
    `${jar}${path.delimiter}${classes}`,
    'JadePingPong',
    `pairs=${o.pairs}`,
    `chains=${o.chains}`,
    // Three seconds of warm-up, as JADE's own run.sh: the JIT has settled before the window.
    'warm=3',
    `seconds=${Math.max(1, Math.round(o.seconds))}`,
  ];
  try {
    // In the classes directory: a JADE main container writes APDescription.txt into its cwd.
    const { stdout, stderr } = await run('java', args, (o.seconds + 60) * 1000, classes);
    const parsed = parseJadeResult(stdout);
    if (!parsed)
      return {
        ran: false,
        why: `JADE ran but printed no RESULT line; its stderr ends: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
      };
    return { ran: true, run: { ...parsed, jar } };
  } catch (err) {
    return {
      ran: false,
      why: `JADE's run failed: ${(err as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ') || String(err)}`,
    };
  }
}
