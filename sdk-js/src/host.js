// Typed-ish access to the functions the runtime provides (interface `host` in wit/agent.wit).
// componentize-qjs exposes a WIT import as a module named after the interface; results of
// result<_, string> throw the error string, which we turn into an Error with a clear message.
import host from 'caxton:agent/host@0.1.0';
import { toWire } from './message.js';

export class HostError extends Error {
  constructor(operation, reason) {
    super(`${operation}: ${reason}`);
    this.name = 'HostError';
    this.reason = reason;
  }
}

/**
 * Queues a message. Throws HostError when the message itself is invalid (e.g. no receivers).
 * Delivery is transactional: messages sent while handling a message leave only if the handling
 * completes; routing failures come back later as `failure` messages.
 */
export function send(message) {
  try {
    host.send(toWire(message));
  } catch (e) {
    throw new HostError('send', typeof e === 'string' ? e : String(e?.message ?? e));
  }
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

/** Writes a line to the agent's log at `level` (trace, debug, info, warn, error). */
export function log(level, message) {
  if (!LEVELS.includes(level)) throw new TypeError(`unknown log level ${level}`);
  host.log(level, String(message));
}

/** Wall-clock time, milliseconds since the Unix epoch. */
export function now() {
  return Number(host.now());
}

/** A fresh platform-unique identifier for reply-with and conversation-id. */
export function newId() {
  return host.newId();
}

/** Asks for `onTimer(token)` after `delayMs` milliseconds. */
export function setTimer(delayMs, token) {
  host.setTimer(delayMs >>> 0, String(token));
}

/** Advertises (or replaces) a service in the directory. Throws HostError if it is refused. */
export function registerService({ name, type, protocols = [], ontologies = [], languages = [], properties = [] }) {
  const props = Array.isArray(properties) ? properties : Object.entries(properties);
  try {
    host.registerService({ name, type, protocols, ontologies, languages, properties: props });
  } catch (e) {
    throw new HostError('register-service', typeof e === 'string' ? e : String(e?.message ?? e));
  }
}

/** Withdraws one of this agent's services by name. */
export function deregisterService(name) {
  host.deregisterService(name);
}

/** Agents advertising services of `type`: [{ name, addresses }]. */
export function searchServices(type) {
  return host.searchServices(type);
}
