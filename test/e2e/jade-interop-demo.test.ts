/**
 * The JADE-interop demo (examples/jade-interop/run.mjs) run as a user runs it: `node
 * examples/jade-interop/run.mjs` with CAXTON_JADE_JAR, a real JADE platform in its own JVM, a
 * real `caxton serve`, the `caxton` CLI. Its output must show both round trips — JADE → Caxton
 * echo → inform back, and a Caxton agent → JADE agent → reply — and it must leave nothing running
 * and no temporary directory behind; JADE's intra-platform port (no authentication) must listen on
 * loopback only. Ctrl-C in the middle of the run stops everything too (exit 130). Without
 * CAXTON_JADE_JAR the JADE runs are skipped, saying why; the demo's own skip (exit 0, "skipped",
 * how to get JADE) is checked either way.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { cleanEnv, show } from './support/cli.js';
import { ROOT } from './support/paths.js';
import { Proc, stopStragglers } from './support/processes.js';
import { until } from './support/wait.js';

const DEMO = path.join(ROOT, 'examples', 'jade-interop', 'run.mjs');
const JADE_JAR = process.env['CAXTON_JADE_JAR'];
const SKIP =
  JADE_JAR === undefined || !existsSync(JADE_JAR)
    ? 'CAXTON_JADE_JAR is not set to a jade.jar: get JADE 4.6.5 (docs/interop.md, "Testing against JADE") and set CAXTON_JADE_JAR to its jade.jar'
    : false;
if (SKIP) console.log(`# skipped (the full run): ${SKIP}`);

function demo(env: Record<string, string | undefined>): Proc {
  return new Proc(process.execPath, [DEMO], { cwd: ROOT, env: cleanEnv(env), timeoutMs: 120_000 });
}

/** Processes whose command line names `dir` (the JVM's classpath, serve's data directory). */
function processesNaming(dir: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((line) => line.includes(dir));
}

/**
 * The local addresses listening on TCP `port`, from /proc/net/tcp and tcp6 (hex, as the kernel
 * writes them: "0100007F" is 127.0.0.1, all zeros the wildcard).
 */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local === undefined || state !== '0A') continue; // 0A: LISTEN
      const [address, p] = local.split(':');
      if (p === hexPort) found.push(address!);
    }
  }
  return found;
}

/** The work dir the demo printed. */
function workDirOf(stdout: string): string | undefined {
  return /^work dir:\s+(\S+)$/m.exec(stdout)?.[1];
}

describe('the JADE-interop demo (examples/jade-interop)', () => {
  after(stopStragglers);

  it('without CAXTON_JADE_JAR says how to get JADE and exits 0, skipped', async () => {
    const r = await demo({ CAXTON_JADE_JAR: undefined }).done;
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /CAXTON_JADE_JAR is not set\./);
    assert.match(r.stdout, /https:\/\/jade\.tilab\.com/);
    assert.match(r.stdout, /^skipped$/m);
  });

  it('with JADE shows both round trips and stops everything it started', { skip: SKIP }, async () => {
    const run = demo({ CAXTON_JADE_JAR: JADE_JAR });
    // While JADE runs (its agents are up): its intra-platform port listens on loopback only.
    const intra = /^jade: .*intra-platform port 127\.0\.0\.1:(\d+)$/m;
    await run.waitFor((p) => intra.test(p.stdout) && p.stdout.includes('[jade] ASK-CAXTON-SENT'), 'JADE up', 60_000);
    const bound = listeners(Number(intra.exec(run.stdout)![1]));
    assert.ok(bound.length > 0, `nothing listens on JADE's intra-platform port:\n${run.stdout}`);
    for (const address of bound) assert.ok(!/^0+$/.test(address), `JADE's intra-platform port listens on every interface (${address})`);
    const r = await run.done;
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.split('\n').map((l) => l.trim());
    // JADE → Caxton: JADE's asker prints the echo's inform, a reply to its request.
    assert.ok(
      lines.includes(
        '[jade] ASK-CAXTON-GOT INFORM from echo@caxton conversation=jade-asks-caxton in-reply-to=jade-request-1 content=hello from JADE',
      ),
      show(r),
    );
    assert.ok(lines.includes('round trip 1 (JADE asker → echo@caxton → inform back): OK'), show(r));
    // Caxton → JADE: JADE's pong gets the caller's request; its inform comes back to the caller,
    // which passes it to the operator's `caxton send --wait`.
    assert.ok(lines.includes('[jade] PONG-GOT REQUEST from caller@caxton content=hello from Caxton'), show(r));
    assert.ok(
      lines.some((l) =>
        /^\[caxton send\] \S+\s+inform\s+caller@caxton -> operator@caxton .*"pong@jade-demo answered inform: pong: hello from Caxton"$/.test(
          l,
        ),
      ),
      show(r),
    );
    // (The `caxton tail` lines it also prints are for the eye: they may come after the demo has
    // seen the round trip and stopped the tail, so they are not asserted.)
    assert.ok(lines.includes('both round trips seen'), show(r));

    const workDir = workDirOf(r.stdout);
    assert.ok(workDir !== undefined, show(r));
    assert.equal(existsSync(workDir), false, `the demo left ${workDir} behind`);
    assert.deepEqual(processesNaming(workDir), [], 'the demo left processes running');
  });

  it('on Ctrl-C while JADE runs stops everything it started and exits 130', { skip: SKIP }, async () => {
    const run = demo({ CAXTON_JADE_JAR: JADE_JAR });
    await run.waitFor((p) => /^jade: /m.test(p.stdout), 'the jade: line', 60_000);
    run.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130, show(r));
    assert.match(r.stdout, /^SIGINT: stopping everything/m, show(r));
    assert.doesNotMatch(r.stdout, /both round trips seen/, show(r));
    const workDir = workDirOf(r.stdout);
    assert.ok(workDir !== undefined, show(r));
    assert.equal(existsSync(workDir), false, `the demo left ${workDir} behind`);
    // Stopped children are gone once run.mjs has awaited them; give the kernel a moment to reap.
    await until(() => (processesNaming(workDir).length === 0 ? true : undefined), 'no process naming the work dir', 5_000);
  });
});
