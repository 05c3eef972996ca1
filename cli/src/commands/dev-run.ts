/**
 * What `caxton dev` does once it runs (its flags are dev.ts's): start a node (or use the one named),
 * build and deploy the project, follow the agent's messages and logs, and on every change to the
 * project's sources rebuild and upgrade it in place with the node's UpgradeAgent (drain, swap,
 * resume: no accepted message lost, state kept). A build or upgrade that fails is shown and the
 * loop goes on with the running version; Ctrl-C ends the loop, and the node only if dev started it.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CaxtonClient, StreamHandle, UploadHeader } from '@caxton/client';
import { UsageError } from '../cli-error.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { onInterrupts } from '../interrupts.js';
import { buildProject, displayPath } from '../artifact-source.js';
import { parseConfigPairs } from '../parse.js';
import { debounce, SerialRuns } from '../dev/debounce.js';
import { formatDevEvent, shownError, type DevEvent } from '../dev/events.js';
import { startLocalNode } from '../local-node.js';

export type DevArgs = GlobalArgs & { dir: string; name?: string; attach: boolean; apiPort: number; quietMs: number; config: string[] };

export interface DevMode {
  /** Use the node the connection settings name instead of starting one. */
  attach: boolean;
  /** --data-dir or CAXTON_DATA_DIR named the started node's data directory (kept afterwards). */
  dataDirGiven: boolean;
}

/** The node the loop talks to, and how to let go of it. */
interface Target {
  client: CaxtonClient;
  address: string;
  dataDir?: string;
  /** Stops what dev started (the node, its temporary data dir); nothing for an attached node. */
  release(): Promise<boolean>;
}

async function startOwnNode(ctx: CommandContext, argv: DevArgs, mode: DevMode): Promise<Target> {
  const node = await startLocalNode({
    apiPort: argv.apiPort,
    timeoutMs: ctx.facts.timeoutMs,
    prefix: 'caxton-dev-',
    ...(mode.dataDirGiven ? { dataDir: path.resolve(ctx.io.cwd, argv.dataDir) } : {}),
  });
  return { client: node.client, address: node.address, dataDir: node.dataDir, release: async () => (await node.stop(), true) };
}

async function attachToNode(ctx: CommandContext): Promise<Target> {
  const client = await ctx.client();
  // A call now, so an unreachable node or a refused token fails the command before any build.
  await client.status();
  return { client, address: ctx.args.addr, release: async () => false };
}

/** Whether the node already runs an agent of this name (attached: the loop then upgrades it). */
async function deployedAlready(client: CaxtonClient, name: string): Promise<boolean> {
  return (await client.listAgents()).some((a) => a.name === name);
}

export async function runDev(ctx: CommandContext, argv: DevArgs, mode: DevMode): Promise<number> {
  const dir = path.resolve(ctx.io.cwd, argv.dir);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory())
    throw new UsageError(`${argv.dir} is not a directory`, 'give the agent project directory (default: the current one)');
  if (!(argv.quietMs >= 0 && argv.quietMs <= 60_000))
    throw new UsageError(`--quiet-ms ${argv.quietMs} is not a number of milliseconds from 0 to 60000`);
  const config = parseConfigPairs(argv.config);
  const { detectProject, isSourcePath } = await import('@caxton/toolchain');
  // The project's layout is checked once, up front: without one there is nothing to loop on.
  const project = detectProject(dir);
  const name = argv.name ?? project.name;

  const emit = (e: DevEvent): void => {
    if (ctx.args.json) ctx.printJsonLine(e);
    else ctx.io.stdout.write(formatDevEvent(e));
  };

  const target = mode.attach ? await attachToNode(ctx) : await startOwnNode(ctx, argv, mode);
  try {
    return await loop(ctx, argv, mode, { dir, name, config, isSourcePath, emit, target });
  } catch (err) {
    // Failing before the loop runs (a stream refused, the watch impossible): a node dev started
    // must not outlive the command, nor keep the process alive.
    await target.release().catch(() => undefined);
    throw err;
  }
}

interface LoopSetup {
  dir: string;
  name: string;
  config: Record<string, string>;
  isSourcePath: (relPath: string) => boolean;
  emit: (e: DevEvent) => void;
  target: Target;
}

async function loop(ctx: CommandContext, argv: DevArgs, mode: DevMode, setup: LoopSetup): Promise<number> {
  const { dir, name, config, isSourcePath, emit, target } = setup;
  const { client } = target;
  emit({ event: 'node', address: target.address, started: !mode.attach, ...(target.dataDir ? { dataDir: target.dataDir } : {}) });

  const streams: StreamHandle[] = [];
  let stopping = false;
  const follow = (stream: 'messages' | 'logs', handle: StreamHandle): Promise<void> => {
    streams.push(handle);
    handle.done.catch((err: unknown) => {
      if (!stopping) emit({ event: 'stream-failed', stream, ...shownError(err) });
    });
    return handle.ready;
  };
  const startedAt = ctx.io.now();
  let logsOpen = false;
  const openLogs = async (): Promise<void> => {
    if (logsOpen) return;
    logsOpen = true;
    await follow(
      'logs',
      client.logs({ agent: name, follow: true, since: startedAt }, (l) => emit({ event: 'log', ...l })),
    );
  };
  await follow(
    'messages',
    client.tail({ agent: name }, (m) => emit({ event: 'message', ...m })),
  );

  let deployed = mode.attach && (await deployedAlready(client, name));
  if (deployed) await openLogs();
  let deployedSha: string | undefined;

  /** One turn of the loop: build; if the component changed, deploy or upgrade it. */
  const turn = async (): Promise<void> => {
    let built;
    try {
      built = await buildProject(ctx, dir);
    } catch (err) {
      emit({ event: 'build-failed', agent: name, ...shownError(err) });
      return;
    }
    emit({
      event: 'built',
      agent: name,
      artifact: displayPath(ctx.io.cwd, built.artifactPath),
      sha256: built.sha256,
      language: built.language,
      bytes: built.bytes,
      durationMs: Math.round(built.durationMs),
      reused: built.reused,
    });
    if (built.sha256 === deployedSha) {
      emit({ event: 'unchanged', agent: name, sha256: built.sha256 });
      return;
    }
    const bytes = await readFile(built.artifactPath);
    const header: UploadHeader = { name, language: built.language };
    const upgrade = deployed;
    try {
      if (upgrade) {
        const r = await client.upgrade(header, bytes);
        emit({ event: 'upgraded', agent: name, version: r.agent.version, previousVersion: r.previousVersion });
      } else {
        if (Object.keys(config).length > 0) header.config = config;
        const agent = await client.deploy(header, bytes);
        deployed = true;
        emit({ event: 'deployed', agent: name, version: agent.version });
        await openLogs();
      }
      deployedSha = built.sha256;
    } catch (err) {
      emit({ event: 'deploy-failed', agent: name, upgrade, ...shownError(err) });
    }
  };
  const runs = new SerialRuns(turn, (err) => emit({ event: 'deploy-failed', agent: name, upgrade: deployed, ...shownError(err) }));
  const rebuild = debounce(() => runs.request(), argv.quietMs);

  const watcher: FSWatcher = watch(dir, { recursive: true }, (_kind, file) => {
    // No name (some platforms drop it): rebuild anyway; an unchanged build is a cheap no-op.
    if (file === null || isSourcePath(file.toString())) rebuild.trigger();
  });
  watcher.on('error', (err) => emit({ event: 'stream-failed', stream: 'watch', ...shownError(err) }));
  emit({ event: 'watching', dir: displayPath(ctx.io.cwd, dir), agent: name });
  runs.request();

  await new Promise<void>((resolve) => {
    const stopListening = onInterrupts(
      ctx,
      mode.attach ? 'caxton: stopping the loop…' : 'caxton: stopping the loop and its node (Ctrl-C again to force)…',
      () => {
        stopListening();
        resolve();
      },
    );
  });
  stopping = true;
  watcher.close();
  rebuild.cancel();
  // A build or upgrade under way finishes: an upgrade cut off midway would leave the user unsure
  // which version runs.
  await runs.idle();
  for (const s of streams) s.cancel();
  const nodeStopped = await target.release();
  emit({ event: 'stopped', nodeStopped });
  return EXIT.OK;
}
