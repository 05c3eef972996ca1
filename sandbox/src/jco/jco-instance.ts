/**
 * Instances through jco's generated glue (`--instantiation sync`), for any component the direct
 * path does not cover (JavaScript agents, WASI users, compositions). We control instantiation:
 * `getCoreModule` hands out our compiled, instrumented modules and `instantiateCore` adds each
 * module's fuel imports and host-made memories, and registers its fuel counter with the meter.
 * Every instance gets its own host functions and its own deny-by-default WASI objects. The host
 * functions a module imports, and its guest exports, are wrapped so that what jco's glue lifts is
 * counted and capped before jco lifts it (lift-guard.ts).
 */
import '../webassembly-types.js';
import type { Artifact } from '../artifact/artifact.js';
import { GUEST_INTERFACE } from '../artifact/contract.js';
import { FUEL_EXPORT, FUEL_IMPORT_MODULE } from '../fuel/names.js';
import type { WitAclMessage, WitInitContext } from '../host/wit-values.js';
import type { GuestInstance, GuestReturn, InstanceEnv } from '../instance.js';
import { InstanceMemories } from '../instance.js';
import { MEMORY_IMPORT_MODULE } from '../limits/rewrite.js';
import { droppedOutputFuel, hostCallFuel, outputFuel } from '../fuel/cost-model.js';
import { createDenyWasi } from '../wasi/deny-wasi.js';
import { HOST_MODULE } from '../abi.js';
import {
  guardGuestExports,
  guardHostImports,
  guardFilesystemImports,
  guardHttpImports,
  guardA2aImports,
  guardMessageInfoImports,
  guardStateImports,
  guardStreamImports,
  guardTopicsImports,
  LogStreamHandles,
} from './lift-guard.js';

/** The host interfaces, as any core name mangling spells them. */
const HOST_INTERFACE = 'caxton:agent/host';
const STATE_INTERFACE = 'caxton:agent/state';
/** Where stdout/stderr writes come from (guarded: decision 2114). */
const STREAMS_INTERFACE = 'wasi:io/streams';
/** Where stdout's and stderr's stream handles come from (noted: only theirs are the log's). */
const LOG_STREAM_INTERFACES = ['wasi:cli/stdout', 'wasi:cli/stderr'];
/** Where paths and a descriptor's writes are lifted (guarded: decision 2191). */
const FILESYSTEM_TYPES_INTERFACE = 'wasi:filesystem/types';
const HTTP_INTERFACE = 'caxton:agent/http';
const A2A_INTERFACE = 'caxton:agent/a2a';
const TOPICS_INTERFACE = 'caxton:agent/topics';
const MESSAGE_INFO_INTERFACE = 'caxton:agent/message-info';

type GuestExports = {
  init(ctx: WitInitContext): void;
  handle(message: WitAclMessage): void;
  onTimer(token: string): void;
};

/** jco throws a ComponentError carrying the guest's `err` payload; anything else is a trap. */
function guestError(err: unknown): string | null {
  if (typeof err === 'object' && err !== null && Object.hasOwn(err, 'payload')) {
    const payload = (err as { payload: unknown }).payload;
    if (typeof payload === 'string') return payload;
  }
  return null;
}

function call(fn: () => void): GuestReturn {
  try {
    fn();
    return { ok: true };
  } catch (err) {
    const payload = guestError(err);
    if (payload !== null) return { ok: false, error: payload };
    throw err;
  }
}

export function instantiateWithJco(artifact: Artifact, env: InstanceEnv): GuestInstance {
  const glue = artifact.glue;
  if (!glue) throw new Error('artifact has no jco glue');
  const byFile = new Map<string, WebAssembly.Module>();
  artifact.modules.forEach((m, i) => byFile.set(artifact.manifest.modules[i]!.file, m));
  const memories = new InstanceMemories(env.memoryCapPages, env.agent);
  const admits = (pages: number): boolean => memories.admits(pages);
  const { meter, bridge } = env;
  bridge.requireGuard = true;

  const wasi = createDenyWasi({
    charge: (bytes) => meter.charge(hostCallFuel(bytes)),
    chargeOutput: (bytes, dropped) => meter.charge(outputFuel(bytes, dropped)),
    chargeDropped: (bytes) => meter.charge(droppedOutputFuel(bytes)),
    output: (stream, line) => bridge.output(stream, line),
    maxLineBytes: bridge.liftCaps.logMessage,
    maxOutputBytes: bridge.outputLimit,
    outputDropped: (bytes) => bridge.outputDropped(bytes),
    handling: {
      wallClockMs: () => bridge.wallClockMs(),
      monotonicNs: () => bridge.monotonicNs(),
      insecureRandom: (n) => bridge.insecureRandom(n),
      secureRandomRead: (n) => {
        bridge.secureRandomBytes += n;
      },
    },
    // /data: the agent's files in its durable state (decision 2191), written with the handling.
    files: { state: bridge.state, charge: (bytes) => meter.charge(hostCallFuel(bytes)), nowMs: () => bridge.workTime },
    // /assets: the read-only files its component ships (decision 2192).
    assets: artifact.assets,
  });

  /** stdout's and stderr's handles: only their writes are cut to the output budget (not a file's). */
  const logStreams = new LogStreamHandles();
  /** Memories the glue took from instance exports (see noteMemoryReads): the ones its lowerings use. */
  const taken = new Set<WebAssembly.Memory>();
  const lowerMemories = (): Iterable<WebAssembly.Memory> => taken;
  const instantiateCore = (module: WebAssembly.Module, imports: WebAssembly.Imports = {}): WebAssembly.Instance => {
    const plan = artifact.plans.get(module);
    if (!plan) throw new Error('jco asked to instantiate a module the sandbox did not prepare');
    const own: WebAssembly.Memory[] = plan.memories.map((m) => memories.create(m.initialPages, m.declaredMaxPages));
    const io: WebAssembly.Imports = { ...imports };
    if (own.length > 0) io[MEMORY_IMPORT_MODULE] = Object.fromEntries(plan.memories.map((m, i) => [m.field, own[i]!]));
    let instanceMemory: WebAssembly.Memory | null = own[0] ?? null;
    io[FUEL_IMPORT_MODULE] = meter.importsFor(() => instanceMemory, admits) as Record<string, WebAssembly.ImportValue>;
    // Every import module naming the host interface is guarded, whatever name mangling the core
    // module uses (`caxton:agent/host@0.1.0`, or e.g. `cm32p2|caxton:agent/host@0.1`).
    for (const [name, host] of Object.entries(imports)) {
      if (name === HOST_MODULE || name.includes(HOST_INTERFACE)) {
        io[name] = guardHostImports(host as Record<string, unknown>, lowerMemories, bridge) as Record<string, WebAssembly.ImportValue>;
      } else if (name.includes(STATE_INTERFACE)) {
        io[name] = guardStateImports(host as Record<string, unknown>, bridge) as Record<string, WebAssembly.ImportValue>;
      } else if (name.includes(HTTP_INTERFACE)) {
        io[name] = guardHttpImports(host as Record<string, unknown>, lowerMemories, bridge) as Record<string, WebAssembly.ImportValue>;
      } else if (name.includes(A2A_INTERFACE)) {
        io[name] = guardA2aImports(host as Record<string, unknown>, lowerMemories, bridge) as Record<string, WebAssembly.ImportValue>;
      } else if (name.includes(TOPICS_INTERFACE)) {
        io[name] = guardTopicsImports(host as Record<string, unknown>, bridge) as Record<string, WebAssembly.ImportValue>;
      } else if (name.includes(MESSAGE_INFO_INTERFACE)) {
        io[name] = guardMessageInfoImports(host as Record<string, unknown>, bridge) as Record<string, WebAssembly.ImportValue>;
      } else if (name.includes(STREAMS_INTERFACE)) {
        io[name] = guardStreamImports(host as Record<string, unknown>, wasi.output, lowerMemories, logStreams, wasi.files) as Record<
          string,
          WebAssembly.ImportValue
        >;
      } else if (name.includes(FILESYSTEM_TYPES_INTERFACE) && wasi.files !== undefined) {
        io[name] = guardFilesystemImports(host as Record<string, unknown>, wasi.files) as Record<string, WebAssembly.ImportValue>;
      } else if (LOG_STREAM_INTERFACES.some((i) => name.includes(i))) {
        io[name] = logStreams.guardGetters(host as Record<string, unknown>) as Record<string, WebAssembly.ImportValue>;
      }
    }
    const instance = new WebAssembly.Instance(module, io);
    if (!instanceMemory) {
      const exported = Object.values(instance.exports).find((v) => v instanceof WebAssembly.Memory);
      instanceMemory = (exported as WebAssembly.Memory | undefined) ?? null;
    }
    meter.attach(instance.exports[FUEL_EXPORT] as WebAssembly.Global | undefined);
    const guarded = guardGuestExports(instance.exports, lowerMemories, bridge.liftCaps.resultError, (units) => bridge.chargeResult(units));
    return { exports: noteMemoryReads(guarded, taken) } as WebAssembly.Instance;
  };

  const exports = glue(
    (name) => {
      const m = byFile.get(name);
      if (!m) throw new Error(`jco asked for unknown core module ${name}`);
      return m;
    },
    {
      'caxton:agent/host': bridge.jcoImports(),
      'caxton:agent/state': bridge.hosts.state.jcoImports(),
      'caxton:agent/http': bridge.hosts.http.jcoImports(),
      'caxton:agent/a2a': bridge.hosts.a2a.jcoImports(),
      'caxton:agent/topics': bridge.hosts.topics.jcoImports(),
      'caxton:agent/message-info': bridge.hosts.messageInfo.jcoImports(),
      ...wasi.imports,
    },
    instantiateCore,
  );
  const guest = (exports[GUEST_INTERFACE] ?? exports['guest']) as GuestExports | undefined;
  if (!guest || typeof guest.handle !== 'function') throw new Error('the component exports no guest interface');

  // Released (decision 2194): its memories may be another instance's by now, so nothing runs again.
  let released = false;
  const live = (fn: () => void): GuestReturn => {
    if (released) throw new Error(`${env.agent}: this instance was released; its memory is no longer its own`);
    return call(fn);
  };

  return {
    init: (ctx) => live(() => guest.init(ctx)),
    handle: (message) => live(() => guest.handle(message)),
    onTimer: (token) => live(() => guest.onTimer(token)),
    memoryPages: () => memories.pages(),
    afterCall: () => {
      wasi.drain();
      // A refusal that ended the call stays a crash even if the guest caught the exception.
      bridge.checkFault();
    },
    release: () => {
      if (released) return;
      released = true;
      memories.release();
    },
  };
}

/**
 * The exports with each memory behind a getter that records it in `taken`: the memories jco's glue
 * reads from instance exports are exactly the ones its lowerings and lifts use.
 */
function noteMemoryReads(exports: WebAssembly.Exports, taken: Set<WebAssembly.Memory>): WebAssembly.Exports {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports)) {
    if (value instanceof WebAssembly.Memory) {
      Object.defineProperty(out, name, { enumerable: true, get: () => (taken.add(value), value) });
    } else {
      out[name] = value;
    }
  }
  return out as WebAssembly.Exports;
}
