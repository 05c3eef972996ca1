/**
 * The direct path: one guest core module bound to the host with our own canonical-ABI lifting and
 * lowering (guest-memory.ts), no jco glue. Used for components that are exactly wit-component's
 * encoding of one module for the agent world (see artifact/direct-eligibility.ts) — typically
 * AssemblyScript agents. Same contract, same limits, same fuel and memory instrumentation as the
 * jco path; only the per-instance and per-call overhead differs (decision 0402).
 */
import '../webassembly-types.js';
import type { Artifact } from '../artifact/artifact.js';
import { FUEL_EXPORT, FUEL_IMPORT_MODULE } from '../fuel/names.js';
import { LiftBudget } from '../host/lift-budget.js';
import { HostArgumentRefused, LiftLimitExceeded } from '../host/refusals.js';
import type { WitLogLevel } from '../host/wit-values.js';
import type { GuestInstance, GuestReturn, InstanceEnv } from '../instance.js';
import { InstanceMemories } from '../instance.js';
import { MEMORY_IMPORT_MODULE } from '../limits/rewrite.js';
import { AbiViolation } from '../errors.js';
import type { WitFetchResult, WitStateResult, WitTopicResult } from '../host/wit-values.js';
import {
  FETCH_FLAT,
  GUEST_PREFIX,
  HOST_MODULE,
  HTTP_ERROR_KINDS,
  HTTP_MODULE,
  A2A_MODULE,
  A2A_CALL_FLAT,
  INITIALIZE,
  LOG_LEVELS,
  POST_PREFIX,
  STATE_ERROR_KINDS,
  STATE_MODULE,
  TOPIC_ERROR_KINDS,
  TOPICS_MODULE,
  MESSAGE_INFO_ERROR_KINDS,
  MESSAGE_INFO_MODULE,
  IMPORT_SIGS,
  guestRealloc,
} from '../abi.js';
import { TOPIC_LIMITS } from '@caxton/core';
import { filterTooLong, topicTooLong } from '../host/topic-request.js';
import { GuestMemory } from './guest-memory.js';
import { faultNoted } from '../host/fault-noted.js';

type Fn = (...args: number[]) => number;

export function instantiateDirect(artifact: Artifact, env: InstanceEnv): GuestInstance {
  const module = artifact.modules[0]!;
  const plan = artifact.manifest.modules[0]!;
  const encoding = artifact.manifest.stringEncoding;
  if (artifact.manifest.path !== 'direct' || !encoding) throw new Error('artifact is not prepared for the direct path');
  const { bridge, meter } = env;
  bridge.requireGuard = false; // lifting happens here, under its budgets
  const memories = new InstanceMemories(env.memoryCapPages, env.agent);
  const own = plan.memories.map((m) => memories.create(m.initialPages, m.declaredMaxPages));
  const memory = own[0];
  if (!memory) throw new Error('direct-path module has no memory');
  const gm = new GuestMemory(memory, encoding);
  const caps = bridge.liftCaps;

  /**
   * Lifts with `budget` and hands the value on, or — over the cap — answers with the refusal as
   * the function's `result` error (no value is built, nothing more is read).
   */
  const liftOrRefuse = <T>(
    budget: LiftBudget,
    lift: () => T,
    ret: number,
    use: (value: T) => { tag: 'err'; val: string } | undefined,
  ): void => {
    budget.reset();
    let value: T;
    try {
      value = gm.lifting(budget, lift);
    } catch (err) {
      if (!(err instanceof LiftLimitExceeded)) throw err;
      gm.storeResult(ret, bridge.liftRefusal(err, budget.bytes()));
      return;
    }
    bridge.payLift(budget.bytes());
    const r = use(value);
    gm.storeResult(ret, r === undefined ? null : r.val);
  };
  /** A single string argument of a function without `result`: over its cap, the call ends. */
  const boundedString = (ptr: number, len: number, max: number, what: string, fn: string): string => {
    if (len >>> 0 > max)
      bridge.failLift(new HostArgumentRefused(fn, `the ${what} has ${len >>> 0} code units, at most ${max} are accepted`));
    return gm.string(ptr, len, what);
  };

  /** caxton:agent/host (built only if the module imports it, like the other tables). */
  const hostImports = (): Record<string, WebAssembly.ImportValue> => {
    const sendBudget = new LiftBudget('send', caps.send);
    const serviceBudget = new LiftBudget('register-service', caps.service);
    return {
      send: (msgPtr: number, ret: number) => {
        gm.sync();
        // Lifted straight to the runtime's message, its size measured on the way (decision 2108).
        liftOrRefuse(
          sendBudget,
          () => gm.messageAcl(msgPtr),
          ret,
          (m) => bridge.sendLifted(m, gm.liftedUnits),
        );
      },
      log: (level: number, ptr: number, len: number) => {
        gm.sync();
        const name = LOG_LEVELS[level >>> 0];
        if (name === undefined) throw new AbiViolation(`log: level ${level} out of range`);
        bridge.log(name as WitLogLevel, gm.stringPrefix(ptr, len, caps.logMessage, 'log message'));
      },
      now: () => bridge.now(),
      'new-id': (ret: number) => {
        gm.sync();
        gm.storeStringResult(ret, bridge.newId());
      },
      'set-timer': (delay: number, ptr: number, len: number) => {
        gm.sync();
        bridge.setTimer(delay >>> 0, boundedString(ptr, len, caps.timerToken, 'timer token', 'set-timer'));
      },
      'register-service': (...args: number[]) => {
        gm.sync();
        liftOrRefuse(
          serviceBudget,
          () => gm.serviceFlat(args.slice(0, 12)),
          args[12]!,
          (s) => bridge.registerService(s),
        );
      },
      'deregister-service': (ptr: number, len: number) => {
        gm.sync();
        bridge.deregisterService(boundedString(ptr, len, caps.serviceField, 'service name', 'deregister-service'));
      },
      'search-services': (ptr: number, len: number, ret: number) => {
        gm.sync();
        gm.storeAgentIdsResult(ret, bridge.searchServices(boundedString(ptr, len, caps.serviceField, 'service type', 'search-services')));
      },
    };
  };

  // Only what the module imports is built and wrapped (the list is read once per compiled module):
  // an echo agent importing two host functions does not pay for the state, http, topics and
  // message-info tables, nor for a closure per function it never calls.
  const wanted = importedFunctions(module);
  const imports: WebAssembly.Imports = {
    [FUEL_IMPORT_MODULE]: meter.importsFor(
      () => memory,
      (pages) => memories.admits(pages),
    ) as Record<string, WebAssembly.ImportValue>,
    [MEMORY_IMPORT_MODULE]: Object.fromEntries(plan.memories.map((m, i) => [m.field, own[i]!])),
  };
  const tables: [string, () => Record<string, WebAssembly.ImportValue>][] = [
    [HOST_MODULE, hostImports],
    [STATE_MODULE, () => stateImports(gm, env)],
    [HTTP_MODULE, () => httpImports(gm, env)],
    [A2A_MODULE, () => a2aImports(gm, env)],
    [TOPICS_MODULE, () => topicsImports(gm, env)],
    [MESSAGE_INFO_MODULE, () => messageInfoImports(gm, env)],
  ];
  for (const [moduleName, build] of tables) {
    const names = wanted.get(moduleName);
    if (names === undefined) continue;
    imports[moduleName] = faultNoting(build(), names, IMPORT_SIGS[moduleName] ?? {}, bridge);
  }

  const instance = new WebAssembly.Instance(module, imports);
  meter.attach(instance.exports[FUEL_EXPORT] as WebAssembly.Global | undefined);
  const ex = instance.exports as Record<string, Fn>;
  gm.realloc = ex[guestRealloc(ex)]!;
  // wit-component's fixup module calls a reactor's `_initialize` once the imports are wired (e.g.
  // AssemblyScript built with `--exportStart _initialize`): do the same, before init().
  ex[INITIALIZE]?.();
  const initFn = ex[`${GUEST_PREFIX}init`]!;
  const handleFn = ex[`${GUEST_PREFIX}handle`]!;
  const timerFn = ex[`${GUEST_PREFIX}on-timer`]!;
  const postInit = ex[`${POST_PREFIX}init`];
  const postHandle = ex[`${POST_PREFIX}handle`];
  const postTimer = ex[`${POST_PREFIX}on-timer`];

  const finish = (ret: number, post: Fn | undefined, what: string): GuestReturn => {
    const error = gm.result(ret, what, caps.resultError);
    if (error !== null) bridge.chargeResult(error.length);
    if (post) post(ret);
    return error === null ? { ok: true } : { ok: false, error };
  };

  // Released (decision 2194): its memory may be another instance's by now, so nothing runs again.
  let released = false;
  const alive = (): void => {
    if (released) throw new Error(`${env.agent}: this instance was released; its memory is no longer its own`);
  };

  return {
    init: (ctx) => {
      alive();
      gm.sync();
      const flat = gm.lowerInitContext(ctx);
      return finish(initFn(...flat), postInit, 'init result');
    },
    handle: (message) => {
      alive();
      gm.sync();
      return finish(handleFn(gm.lowerMessage(message)), postHandle, 'handle result');
    },
    handleAcl: (message) => {
      alive();
      gm.sync();
      return finish(handleFn(gm.lowerAclMessage(message)), postHandle, 'handle result');
    },
    onTimer: (token) => {
      alive();
      gm.sync();
      const [ptr, len] = gm.lowerString(token, 'timer token');
      return finish(timerFn(ptr, len), postTimer, 'on-timer result');
    },
    memoryPages: () => memories.pages(),
    // A refusal that ended the call stays a crash even if the guest caught the exception.
    afterCall: () => bridge.checkFault(),
    release: () => {
      if (released) return;
      released = true;
      memories.release();
    },
  };
}

/** Stores a state call's `result<_, state-error>`. */
function storeState(gm: GuestMemory, ret: number, r: WitStateResult): void {
  gm.storeKindResult(ret, r === undefined ? { ok: null } : { kind: STATE_ERROR_KINDS.indexOf(r.val.kind), message: r.val.message });
}

/**
 * caxton:agent/state on the direct path. A key or value longer than its limit is refused from its
 * length alone, before a byte of it is read (`refuseNext`: the bridge answers as for any call).
 */
function stateImports(gm: GuestMemory, env: InstanceEnv): Record<string, WebAssembly.ImportValue> {
  const { bridge } = env;
  const calls = bridge.hosts.state;
  const caps = bridge.liftCaps;
  /** The key, or '' with the call's refusal queued when it is over the key limit. */
  const key = (ptr: number, len: number, refusal: boolean): string => {
    if (len >>> 0 <= caps.stateKey) return gm.string(ptr, len, 'key');
    bridge.refuseNext(refusal ? calls.liftRefusal('invalid-key', len >>> 0, caps.stateKey) : null);
    return '';
  };
  return {
    get: (ptr: number, len: number, ret: number) => {
      gm.sync();
      gm.storeOptStringResult(ret, calls.get(key(ptr, len, false)));
    },
    set: (kPtr: number, kLen: number, vPtr: number, vLen: number, ret: number) => {
      gm.sync();
      const k = key(kPtr, kLen, true);
      let value = '';
      if (k === '' && kLen >>> 0 > caps.stateKey) {
        // refused already: the value is not read
      } else if (vLen >>> 0 > caps.stateValue) {
        bridge.refuseNext(calls.liftRefusal('value-too-large', vLen >>> 0, caps.stateValue));
      } else {
        value = gm.string(vPtr, vLen, 'value');
      }
      storeState(gm, ret, calls.set(k, value));
    },
    delete: (ptr: number, len: number, ret: number) => {
      gm.sync();
      storeState(gm, ret, calls.delete(key(ptr, len, true)));
    },
    keys: (pPtr: number, pLen: number, sDisc: number, sPtr: number, sLen: number, limit: number, ret: number) => {
      gm.sync();
      const prefix = key(pPtr, pLen, false);
      if (sDisc >>> 0 === 1 && sLen >>> 0 > caps.stateKey) {
        bridge.failLift(
          new HostArgumentRefused('state.keys', `start-after has ${sLen >>> 0} code units; no key is longer than ${caps.stateKey}`),
        );
      }
      const startAfter = gm.optStringFlat(sDisc, sPtr, sLen, 'start-after');
      gm.storeStringListResult(ret, calls.keys(prefix, startAfter, limit >>> 0));
    },
  };
}

/**
 * caxton:agent/topics on the direct path (decision 1961): a topic or filter longer than its cap is
 * refused from its length alone, before a byte of it is read.
 */
function topicsImports(gm: GuestMemory, env: InstanceEnv): Record<string, WebAssembly.ImportValue> {
  const { bridge } = env;
  const calls = bridge.hosts.topics;
  const store = (ret: number, r: WitTopicResult): void =>
    gm.storeKindResult(ret, r === undefined ? { ok: null } : { kind: TOPIC_ERROR_KINDS.indexOf(r.val.kind), message: r.val.message });
  const nameOver = (len: number): boolean => len >>> 0 > TOPIC_LIMITS.maxTopicNameLength;
  return {
    subscribe: (tPtr: number, tLen: number, fDisc: number, fPtr: number, fLen: number, ret: number) => {
      gm.sync();
      if (nameOver(tLen)) {
        bridge.refuseNext(calls.liftRefusal(topicTooLong(tLen >>> 0)));
        store(ret, calls.subscribe('', undefined));
        return;
      }
      if (fDisc >>> 0 === 1 && fLen >>> 0 > TOPIC_LIMITS.maxFilterTextLength) {
        bridge.refuseNext(calls.liftRefusal(filterTooLong(fLen >>> 0)));
        store(ret, calls.subscribe('', undefined));
        return;
      }
      const topic = gm.string(tPtr, tLen, 'topic');
      store(ret, calls.subscribe(topic, gm.optStringFlat(fDisc, fPtr, fLen, 'filter')));
    },
    unsubscribe: (tPtr: number, tLen: number, ret: number) => {
      gm.sync();
      if (nameOver(tLen)) {
        bridge.refuseNext(calls.liftRefusal(topicTooLong(tLen >>> 0)));
        store(ret, calls.unsubscribe(''));
        return;
      }
      store(ret, calls.unsubscribe(gm.string(tPtr, tLen, 'topic')));
    },
  };
}

/**
 * caxton:agent/message-info on the direct path (decision 2001): two u32 arguments, nothing to lift;
 * the page is lowered as `result<list<agent-id>, message-info-error>`.
 */
function messageInfoImports(gm: GuestMemory, env: InstanceEnv): Record<string, WebAssembly.ImportValue> {
  const { bridge } = env;
  const calls = bridge.hosts.messageInfo;
  return {
    'receiver-count': () => calls.receiverCount(),
    receivers: (offset: number, limit: number, ret: number) => {
      gm.sync();
      const r = calls.receiversPage(offset >>> 0, limit >>> 0);
      gm.storeAgentIdsKindResult(
        ret,
        r.tag === 'ok' ? { ok: r.val } : { kind: MESSAGE_INFO_ERROR_KINDS.indexOf(r.val.kind), message: r.val.message },
      );
    },
  };
}

/** caxton:agent/http on the direct path: the request is lifted under its budget, or refused unread. */
function httpImports(gm: GuestMemory, env: InstanceEnv): Record<string, WebAssembly.ImportValue> {
  const calls = env.bridge.hosts.http;
  return {
    fetch: outboundCall(gm, env, 'fetch', FETCH_FLAT.ret, (args) => gm.httpRequestFlat(args), {
      refused: (e, bytes) => calls.liftRefusal(e, bytes),
      run: (request) => calls.fetch(request ?? { method: '', url: '', headers: [] }),
    }),
  };
}

/** caxton:agent/a2a on the direct path (decision 2193): the call is lifted under the request's budget, or refused unread. */
function a2aImports(gm: GuestMemory, env: InstanceEnv): Record<string, WebAssembly.ImportValue> {
  const calls = env.bridge.hosts.a2a;
  return {
    start: outboundCall(gm, env, 'start', A2A_CALL_FLAT.ret, (args) => gm.a2aCallFlat(args), {
      refused: (e, bytes) => calls.liftRefusal(e, bytes),
      run: (call) => calls.start(call ?? { operation: 'send', url: '', version: 'v1', subject: '', headers: [] }),
    }),
  };
}

/**
 * One outbound call's import (fetch, a2a start): its argument lifted under the request's budget;
 * over it, nothing more is read, the host is given the refusal and called with an empty argument
 * (`undefined` to `run`), and the `result<string, http-error>` is stored either way.
 */
function outboundCall<T>(
  gm: GuestMemory,
  env: InstanceEnv,
  name: string,
  retIndex: number,
  lift: (args: number[]) => T,
  host: {
    refused: (e: LiftLimitExceeded, bytes: number) => { kind: 'quota-exceeded'; message: string };
    run: (value: T | undefined) => WitFetchResult;
  },
): (...args: number[]) => void {
  const { bridge } = env;
  const budget = new LiftBudget(name, bridge.liftCaps.httpRequest);
  const store = (ret: number, r: WitFetchResult): void =>
    gm.storeKindResult(ret, r.tag === 'ok' ? { ok: r.val } : { kind: HTTP_ERROR_KINDS.indexOf(r.val.kind), message: r.val.message });
  return (...args: number[]) => {
    gm.sync();
    const ret = args[retIndex]!;
    budget.reset();
    let value: T;
    try {
      value = gm.lifting(budget, () => lift(args));
    } catch (err) {
      if (!(err instanceof LiftLimitExceeded)) throw err;
      bridge.refuseNext(host.refused(err, budget.bytes()));
      store(ret, host.run(undefined));
      return;
    }
    bridge.payLift(budget.bytes());
    store(ret, host.run(value));
  };
}

/** The functions each imported module provides to a compiled module, read once per module. */
const importLists = new WeakMap<WebAssembly.Module, ReadonlyMap<string, readonly string[]>>();

function importedFunctions(module: WebAssembly.Module): ReadonlyMap<string, readonly string[]> {
  let list = importLists.get(module);
  if (list === undefined) {
    const byModule = new Map<string, string[]>();
    for (const i of WebAssembly.Module.imports(module)) {
      if (i.kind !== 'function') continue;
      const names = byModule.get(i.module);
      if (names === undefined) byModule.set(i.module, [i.name]);
      else names.push(i.name);
    }
    list = byModule;
    importLists.set(module, list);
  }
  return list;
}

/**
 * The host functions of `table` the module imports (`names`), each wrapped so whatever it throws
 * ends the call even if the guest catches it (the instance's afterCall re-throws the fault). A
 * name the table lacks is left out: instantiation then fails with V8's link error, as before.
 */
function faultNoting(
  table: Record<string, WebAssembly.ImportValue>,
  names: readonly string[],
  sigs: Readonly<Record<string, { params: readonly string[] }>>,
  bridge: InstanceEnv['bridge'],
): Record<string, WebAssembly.ImportValue> {
  const out: Record<string, WebAssembly.ImportValue> = Object.create(null) as Record<string, WebAssembly.ImportValue>;
  for (const name of names) {
    // Own names only: `constructor` or `toString` must not link to Object.prototype's functions.
    if (!Object.hasOwn(table, name)) continue;
    const f = table[name] as (...args: number[]) => unknown;
    // The arity comes from the ABI (abi.ts), not from `f.length`, which a default or rest
    // parameter would understate and so silently drop arguments.
    const arity = Object.hasOwn(sigs, name) ? sigs[name]!.params.length : -1;
    out[name] = faultNoted(f, bridge, arity);
  }
  return out;
}
