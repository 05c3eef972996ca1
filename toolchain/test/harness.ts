/**
 * A minimal, in-test host for agent components: transpiles a built component with jco, then
 * instantiates it with recording implementations of `caxton:agent/host`. This is NOT the runtime's
 * sandbox (that lives in src/sandbox); it exists so build/SDK tests can check what an agent does
 * at the component boundary without depending on it.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';

// QuickJS components use extended-const initialisers, which Node 20 ships behind a flag. V8 reads
// the flag when it compiles a module, so setting it here (before any agent is compiled) is enough.
v8.setFlagsFromString('--experimental-wasm-extended-const');

export interface WitAgentId {
  name: string;
  addresses: string[];
}
/** acl-message as jco presents it: camelCase fields, options as undefined, u64 as bigint. */
export interface WitMessage {
  performative: string;
  sender?: WitAgentId | undefined;
  receivers: WitAgentId[];
  replyTo: WitAgentId[];
  content?: string | undefined;
  language?: string | undefined;
  encoding?: string | undefined;
  ontology?: string | undefined;
  protocol?: string | undefined;
  conversationId?: string | undefined;
  replyWith?: string | undefined;
  inReplyTo?: string | undefined;
  replyBy?: bigint | undefined;
  userParams: Array<[string, string]>;
}
export interface WitService {
  name: string;
  type: string;
  protocols: string[];
  ontologies: string[];
  languages: string[];
  properties: Array<[string, string]>;
}
/** The WIT `request` of caxton:agent/http as jco presents it. */
export interface WitHttpRequest {
  method: string;
  url: string;
  headers: Array<[string, string]>;
  body?: string | undefined;
  timeoutMs?: number | undefined;
  context?: string | undefined;
}
/** state-error / http-error: what a host implementation throws to return result::err. */
export interface WitKindError {
  kind: string;
  message: string;
}
export interface Guest {
  init(ctx: { self: WitAgentId; config: Array<[string, string]> }): void;
  handle(message: WitMessage): void;
  onTimer(token: string): void;
}

export class TestHost {
  readonly sent: WitMessage[] = [];
  readonly logs: Array<{ level: string; message: string }> = [];
  readonly timers: Array<{ delayMs: number; token: string }> = [];
  readonly services = new Map<string, WitService>();
  /** service type -> agents the directory returns for it (share one map between hosts to share a directory). */
  readonly directory: Map<string, WitAgentId[]>;
  clock = 1_750_000_000_000n;
  private ids = 0;
  /** When set, `send` returns this error for messages it matches. */
  rejectSend: ((m: WitMessage) => string | undefined) | undefined;
  /** The agent this host serves; registered services list it in the directory. */
  readonly self: WitAgentId | undefined;
  /** caxton:agent/state: the agent's entries (a plain map: no buffering or commit here). */
  readonly state = new Map<string, string>();
  /** When set, `state.set`/`delete` refuse the keys it matches with this error. */
  rejectState: ((key: string, value: string | undefined) => WitKindError | undefined) | undefined;
  /** caxton:agent/http: every request `fetch` accepted, in order; ids are `http-<n>`. */
  readonly fetches: WitHttpRequest[] = [];
  /** When set, `fetch` refuses the requests it matches with this error. */
  rejectFetch: ((r: WitHttpRequest) => WitKindError | undefined) | undefined;
  /** caxton:agent/topics: every subscribe/unsubscribe call, in order (the node would apply them with the call). */
  readonly topicCalls: Array<{ op: 'subscribe' | 'unsubscribe'; topic: string; filter?: string | undefined }> = [];

  constructor(opts: { directory?: Map<string, WitAgentId[]>; self?: WitAgentId } = {}) {
    this.directory = opts.directory ?? new Map();
    this.self = opts.self;
  }

  imports(): Record<string, unknown> {
    return {
      'caxton:agent/host': {
        send: (m: WitMessage) => {
          const err = this.rejectSend?.(m);
          if (err !== undefined) throw err; // jco turns a thrown value into result::err
          this.sent.push(m);
        },
        log: (level: string, message: string) => this.logs.push({ level, message }),
        now: () => this.clock,
        newId: () => `id-${++this.ids}`,
        setTimer: (delayMs: number, token: string) => this.timers.push({ delayMs, token }),
        registerService: (s: WitService) => {
          if (s.name === '') throw 'service name must not be empty';
          this.services.set(s.name, s);
          if (this.self) this.directory.set(s.type, [...(this.directory.get(s.type) ?? []), this.self]);
        },
        deregisterService: (name: string) => this.services.delete(name),
        searchServices: (type: string) => this.directory.get(type) ?? [],
      },
      'caxton:agent/state': {
        get: (key: string) => this.state.get(key),
        set: (key: string, value: string) => {
          const err = this.rejectState?.(key, value);
          if (err !== undefined) throw err;
          this.state.set(key, value);
        },
        delete: (key: string) => {
          const err = this.rejectState?.(key, undefined);
          if (err !== undefined) throw err;
          this.state.delete(key);
        },
        keys: (prefix: string, startAfter: string | undefined, limit: number) =>
          [...this.state.keys()]
            .filter((k) => k.startsWith(prefix) && (startAfter === undefined || k > startAfter))
            .sort()
            .slice(0, limit),
      },
      'caxton:agent/http': {
        fetch: (r: WitHttpRequest) => {
          const err = this.rejectFetch?.(r);
          if (err !== undefined) throw err;
          this.fetches.push(r);
          return `http-${this.fetches.length}`;
        },
      },
      'caxton:agent/topics': {
        subscribe: (topic: string, filter: string | undefined) => void this.topicCalls.push({ op: 'subscribe', topic, filter }),
        unsubscribe: (topic: string) => void this.topicCalls.push({ op: 'unsubscribe', topic }),
      },
      // Python components import every interface of the world (decision 2001); the harness hands
      // messages to `handle` directly, so it has no message whose receivers could be paged.
      'caxton:agent/message-info': {
        receiverCount: () => 0,
        receivers: () => ({ tag: 'err', val: { kind: 'no-message', message: 'the test harness keeps no message to page' } }),
      },
    };
  }
}

interface Transpiled {
  instantiate(getCoreModule: (p: string) => Promise<object>, imports: Record<string, unknown>): Promise<{ guest: Guest }>;
}
type JcoTranspile = (bytes: Uint8Array, opts: Record<string, unknown>) => Promise<{ files: Record<string, Uint8Array>; imports: string[] }>;

export interface AgentFactory {
  /**
   * A fresh instance; `extraImports` adds interfaces (e.g. WASI shims) and replaces the host's
   * own state/http when a test brings its own.
   */
  instantiate(host: TestHost, extraImports?: Record<string, unknown>): Promise<Guest>;
  /** The WIT-level imports of the component, e.g. ['caxton:agent/host', 'wasi:cli/environment']. */
  imports: string[];
}

const WasmGlobal = (globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<object> } }).WebAssembly;
const cache = new Map<string, Promise<AgentFactory>>();

/** Transpiles (once per content hash) and returns a factory for fresh instances. */
export function loadAgent(wasmPath: string): Promise<AgentFactory> {
  let p = cache.get(wasmPath);
  if (!p) {
    p = load(wasmPath);
    cache.set(wasmPath, p);
  }
  return p;
}

async function load(wasmPath: string): Promise<AgentFactory> {
  const bytes = await readFile(wasmPath);
  // A private directory of this process (mkdtemp: 0700, a name nobody can guess), not a shared one
  // named by the component's hash: that name was predictable, so another user of the machine could
  // create it first and have these tests import their code, and two test files writing the same one
  // at once could each import the other's half-written file. jco runs on every load either way.
  // Only the glue is imported from it; the core modules are compiled from jco's output in memory,
  // so the directory goes as soon as the import is done (an exit hook would not run in a worker
  // that a test terminates).
  const { transpile } = (await import('@bytecodealliance/jco')) as unknown as { transpile: JcoTranspile };
  const out = await transpile(bytes, { name: 'agent', instantiation: 'async', noTypescript: true, quiet: true });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-jco-test-'));
  let mod: Transpiled;
  try {
    for (const [file, data] of Object.entries(out.files)) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), data);
    }
    mod = (await import(pathToFileURL(path.join(dir, 'agent.js')).href)) as Transpiled;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const modules = new Map<string, Promise<object>>();
  const getCoreModule = (p: string): Promise<object> => {
    let m = modules.get(p);
    if (!m) {
      const core = out.files[p];
      m =
        core === undefined
          ? Promise.reject(new Error(`jco's output has no core module ${p} (it has ${Object.keys(out.files).join(', ')})`))
          : WasmGlobal.compile(core);
      modules.set(p, m);
    }
    return m;
  };
  return {
    imports: out.imports,
    async instantiate(host: TestHost, extraImports: Record<string, unknown> = {}): Promise<Guest> {
      const inst = await mod.instantiate(getCoreModule, { ...host.imports(), ...extraImports });
      return inst.guest;
    },
  };
}

/** A message with every list empty and every option absent. */
export function blankMessage(performative: string, overrides: Partial<WitMessage> = {}): WitMessage {
  return { performative, receivers: [], replyTo: [], userParams: [], ...overrides };
}

/** The error payload jco attaches to a `result::err` thrown from an export. */
export function errPayload(e: unknown): unknown {
  return (e as { payload?: unknown }).payload;
}

/** Drops keys whose value is undefined: jco lifts an absent option as an explicit undefined. */
export function defined<T extends object>(m: T): T {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as T;
}
