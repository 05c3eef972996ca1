/**
 * What one host call (or one export result) may lift from guest memory. Strings and lists are
 * counted as they are reached — before the host decodes or allocates them — so a guest cannot make
 * the host allocate more than the caps by pointing many list entries at the same big string: each
 * reference is counted again. Pure.
 *
 * Units are code units as the guest encodes them (UTF-8 bytes, or UTF-16 units): an upper bound of
 * the JavaScript string length the host will make, and never more than the UTF-8 size of a valid
 * string, so a cap equal to a byte limit never refuses a value that limit allows.
 */
import type { AclLimits, HttpPolicy, StateLimits } from '@caxton/core';
import type { AgentLimits } from '../limits/limits.js';
import { MAX_HTTP_HEADERS } from './http-request.js';
import { LiftLimitExceeded } from './refusals.js';

/** Longest timer token accepted. */
export const MAX_TIMER_TOKEN = 1024;
/** Most list entries (protocols, ontologies, languages, properties together) of one service description. */
export const MAX_SERVICE_ENTRIES = 1024;

export interface LiftCaps {
  /** String code units, all strings of the value together. */
  units: number;
  /** List entries, all lists of the value together. */
  items: number;
}

export class LiftBudget {
  units = 0;
  items = 0;

  constructor(
    readonly what: string,
    readonly caps: LiftCaps,
  ) {}

  /** Starts counting again (one budget object is reused for every call of a host function). */
  reset(): void {
    this.units = 0;
    this.items = 0;
  }

  /** Counts a string of `len` code units about to be lifted; throws past the cap. */
  string(len: number): void {
    this.units += len;
    if (this.units > this.caps.units) throw new LiftLimitExceeded(this.what, this.caps.units, 'units');
  }

  /** Counts a list of `len` entries about to be lifted; throws past the cap. */
  list(len: number): void {
    this.items += len;
    if (this.items > this.caps.items) throw new LiftLimitExceeded(this.what, this.caps.items, 'items');
  }

  /** The data measure host-call fuel is charged for: units plus a slot's 8 bytes per list entry. */
  bytes(): number {
    return this.units + 8 * this.items;
  }
}

/** The caps of the host functions' arguments. */
export interface HostLiftCaps {
  send: LiftCaps;
  service: LiftCaps;
  /** deregister-service name, search-services type. */
  serviceField: number;
  timerToken: number;
  /** A log message is lifted up to this many code units; the rest is cut unread. */
  logMessage: number;
  /** The error string of an export's `result`. */
  resultError: number;
  /** A state key (get/set/delete, keys' prefix and start-after): no valid key is longer. */
  stateKey: number;
  /** A state value: no valid value is longer. */
  stateValue: number;
  /** Every string and list of one `fetch` request together (over it: `quota-exceeded`, nothing lifted). */
  httpRequest: LiftCaps;
}

export function hostLiftCaps(limits: AgentLimits, acl: AclLimits, state: StateLimits, http: HttpPolicy | undefined): HostLiftCaps {
  const idItems = 1 + acl.maxAddresses;
  return {
    // Every string of a valid message fits: code units never exceed UTF-8 bytes. Lists: sender,
    // receivers and reply-to with their addresses, user-params pairs (two strings each).
    send: {
      units: Math.min(acl.maxMessageBytes, limits.maxMessageBytes),
      items: idItems + 2 * acl.maxReceivers * idItems + 2 * acl.maxUserParams,
    },
    service: { units: limits.maxServiceBytes, items: MAX_SERVICE_ENTRIES },
    serviceField: acl.maxFieldBytes,
    timerToken: MAX_TIMER_TOKEN,
    logMessage: limits.maxLogLineLength + 1,
    resultError: acl.maxContentBytes,
    stateKey: state.maxKeyBytes,
    stateValue: state.maxValueBytes,
    // URL, headers and body are held to maxRequestBytes, the context to a message field; the
    // method is a short word. Without a policy every fetch is refused: lift next to nothing.
    httpRequest:
      http === undefined
        ? { units: 64 * 1024, items: MAX_HTTP_HEADERS }
        : { units: http.maxRequestBytes + acl.maxFieldBytes + 16, items: MAX_HTTP_HEADERS },
  };
}
