/**
 * The host side of the world for one agent: the `caxton:agent/host` functions, operating on world
 * values (wit-values.ts) so both binding paths share them. Effects (sends, timers, directory
 * changes, logs) are collected per call and handed back with the result — never applied here.
 * `now`, `new-id` and `search-services` answer synchronously; search reads the directory snapshot
 * the host pushed. Every call pays host-call fuel for the data it moves.
 */
import { hostCallFuel } from '../fuel/cost-model.js';
import type { FuelMeter } from '../fuel/meter.js';
import type { AgentLimits } from '../limits/limits.js';
import type { Effects, LogLevel } from '../results.js';
import { emptyEffects } from '../results.js';
import { messageFromWit, validateOutgoing, witMessageSize, witServiceSize } from './convert.js';
import type { DirectorySnapshot } from './directory.js';
import { searchDirectory } from './directory.js';
import type { WitAclMessage, WitAgentId, WitLogLevel, WitResult, WitServiceDescription } from './wit-values.js';

export interface BridgeEnv {
  agent: string;
  limits: AgentLimits;
  directory: () => DirectorySnapshot;
  clock: () => number;
  newId: () => string;
}

/** Longest timer token accepted. */
export const MAX_TIMER_TOKEN = 1024;

export class HostBridge {
  /** The current instance's meter (replaced when the agent is re-instantiated). */
  meter: FuelMeter | null = null;
  private effects: Effects = emptyEffects();

  constructor(private readonly env: BridgeEnv) {}

  /** Starts collecting effects for a new call (take() already left a fresh collection). */
  begin(): void {
    const e = this.effects;
    if (e.outbox.length > 0 || e.timers.length > 0 || e.directory.length > 0 || e.logs.length > 0 || e.droppedLogLines > 0) {
      this.effects = emptyEffects();
    }
  }

  /** The effects collected since `begin`. */
  take(): Effects {
    const e = this.effects;
    this.effects = emptyEffects();
    return e;
  }

  private charge(bytes: number): void {
    this.meter?.charge(hostCallFuel(bytes));
  }

  private note(level: LogLevel, message: string, source: 'agent' | 'stdout' | 'stderr'): void {
    const e = this.effects;
    if (e.logs.length >= this.env.limits.maxLogLines) {
      e.droppedLogLines++;
      return;
    }
    const max = this.env.limits.maxLogLineLength;
    e.logs.push({ level, message: message.length > max ? `${message.slice(0, max)}…` : message, source, at: this.env.clock() });
  }

  send(message: WitAclMessage): WitResult {
    const size = witMessageSize(message);
    this.charge(size);
    const { outbox } = this.effects;
    if (outbox.length >= this.env.limits.maxOutbox) {
      return { tag: 'err', val: `outbox full: at most ${this.env.limits.maxOutbox} messages per call` };
    }
    const invalid = validateOutgoing(message, size, this.env.limits.maxMessageBytes);
    if (invalid) return { tag: 'err', val: invalid };
    outbox.push(messageFromWit(message));
    return undefined;
  }

  log(level: WitLogLevel, message: string): void {
    this.charge(message.length);
    this.note(level, message, 'agent');
  }

  /** A stdout/stderr line from WASI (charged by the WASI shim). */
  output(stream: 'stdout' | 'stderr', line: string): void {
    this.note(stream === 'stdout' ? 'info' : 'warn', line, stream);
  }

  now(): bigint {
    this.charge(0);
    return BigInt(this.env.clock());
  }

  newId(): string {
    const id = this.env.newId();
    this.charge(id.length);
    return id;
  }

  setTimer(delayMs: number, token: string): void {
    this.charge(token.length);
    const { timers } = this.effects;
    if (timers.length >= this.env.limits.maxTimers) {
      this.note('warn', `set-timer dropped: at most ${this.env.limits.maxTimers} timers per call`, 'agent');
    } else if (token.length > MAX_TIMER_TOKEN) {
      this.note('warn', `set-timer dropped: token longer than ${MAX_TIMER_TOKEN}`, 'agent');
    } else {
      timers.push({ delayMs: delayMs >>> 0, token });
    }
  }

  registerService(service: WitServiceDescription): WitResult {
    this.charge(witServiceSize(service));
    if (this.effects.directory.length >= this.env.limits.maxDirectoryOps) {
      return { tag: 'err', val: `at most ${this.env.limits.maxDirectoryOps} directory changes per call` };
    }
    if (service.name.length === 0) return { tag: 'err', val: 'the service has no name' };
    if (service.type.length === 0) return { tag: 'err', val: 'the service has no type' };
    this.effects.directory.push({
      kind: 'register-service',
      service: {
        name: service.name,
        type: service.type,
        protocols: [...service.protocols],
        ontologies: [...service.ontologies],
        languages: [...service.languages],
        properties: Object.fromEntries(service.properties),
      },
    });
    return undefined;
  }

  deregisterService(name: string): void {
    this.charge(name.length);
    if (this.effects.directory.length >= this.env.limits.maxDirectoryOps) {
      this.note('warn', `deregister-service dropped: at most ${this.env.limits.maxDirectoryOps} directory changes per call`, 'agent');
      return;
    }
    this.effects.directory.push({ kind: 'deregister-service', serviceName: name });
  }

  searchServices(type: string): WitAgentId[] {
    const hits = searchDirectory(this.env.directory(), type);
    let size = type.length;
    for (const h of hits) {
      size += h.name.length;
      for (const a of h.addresses) size += a.length;
    }
    this.charge(size);
    return hits;
  }

  /** The functions as jco's glue imports them (`imports['caxton:agent/host']`). */
  jcoImports(): Record<string, unknown> {
    return {
      send: (m: WitAclMessage) => this.send(m),
      log: (level: WitLogLevel, message: string) => this.log(level, message),
      now: () => this.now(),
      newId: () => this.newId(),
      setTimer: (delay: number, token: string) => this.setTimer(delay, token),
      registerService: (s: WitServiceDescription) => this.registerService(s),
      deregisterService: (name: string) => this.deregisterService(name),
      searchServices: (type: string) => this.searchServices(type),
    };
  }
}
