/**
 * The canonical ABI of the caxton:agent@0.1.0 `agent` world, written out by hand for the direct
 * binding: core names and signatures of the guest module's imports and exports, and the memory
 * layouts of the world's records (32-bit, rules of CanonicalABI.md: each field at its alignment,
 * records aligned to their widest field, options/results as a u8 discriminant then the payload).
 *
 * If wit/agent.wit changes, these change: the direct path's eligibility check compares a component
 * with a re-encoding against the current WIT and the core signatures below, so a stale table can
 * only make artifacts fall back to the jco path, never bind them wrongly.
 */
export const HOST_MODULE = 'caxton:agent/host@0.1.0';
export const STATE_MODULE = 'caxton:agent/state@0.1.0';
export const HTTP_MODULE = 'caxton:agent/http@0.1.0';
export const A2A_MODULE = 'caxton:agent/a2a@0.1.0';
export const TOPICS_MODULE = 'caxton:agent/topics@0.1.0';
export const MESSAGE_INFO_MODULE = 'caxton:agent/message-info@0.1.0';
export const GUEST_PREFIX = 'caxton:agent/guest@0.1.0#';
export const POST_PREFIX = 'cabi_post_caxton:agent/guest@0.1.0#';

type Sig = { params: string[]; results: string[] };
const i32 = 'i32';
const i32s = (n: number) => Array.from({ length: n }, () => i32);

/** Host functions as the guest module imports them (params > 16 flat values go by pointer). */
export const HOST_IMPORT_SIGS: Readonly<Record<string, Sig>> = {
  send: { params: i32s(2), results: [] }, // (message*, ret*)
  log: { params: i32s(3), results: [] }, // (level, ptr, len)
  now: { params: [], results: ['i64'] },
  'new-id': { params: i32s(1), results: [] }, // (ret*)
  'set-timer': { params: i32s(3), results: [] }, // (delay, ptr, len)
  'register-service': { params: i32s(13), results: [] }, // 12 flat + ret*
  'deregister-service': { params: i32s(2), results: [] },
  'search-services': { params: i32s(3), results: [] }, // (ptr, len, ret*)
};

/** The state functions as the guest module imports them. */
export const STATE_IMPORT_SIGS: Readonly<Record<string, Sig>> = {
  get: { params: i32s(3), results: [] }, // (key ptr, len, ret*) → option<string>
  set: { params: i32s(5), results: [] }, // (key, value, ret*) → result<_, state-error>
  delete: { params: i32s(3), results: [] },
  keys: { params: i32s(7), results: [] }, // (prefix ×2, option<string> ×3, limit, ret*) → list<string>
};

/** The http functions as the guest module imports them: `request` flattens to 14 values (≤ 16: passed flat). */
export const HTTP_IMPORT_SIGS: Readonly<Record<string, Sig>> = {
  fetch: { params: i32s(15), results: [] },
};

/** The a2a functions as the guest module imports them (decision 2193): `call` flattens to 16 values (≤ 16: passed flat). */
export const A2A_IMPORT_SIGS: Readonly<Record<string, Sig>> = {
  start: { params: i32s(17), results: [] },
};

/** The topics functions as the guest module imports them (decision 1961). */
export const TOPICS_IMPORT_SIGS: Readonly<Record<string, Sig>> = {
  subscribe: { params: i32s(6), results: [] }, // (topic ×2, option<string> ×3, ret*) → result<_, topic-error>
  unsubscribe: { params: i32s(3), results: [] }, // (topic ×2, ret*)
};

/** The message-info functions as the guest module imports them (decision 2001). */
export const MESSAGE_INFO_IMPORT_SIGS: Readonly<Record<string, Sig>> = {
  'receiver-count': { params: [], results: [i32] },
  receivers: { params: i32s(3), results: [] }, // (offset, limit, ret*) → result<list<agent-id>, message-info-error>
};

/** Every host-provided core import the direct path binds, by module. */
export const IMPORT_SIGS: Readonly<Record<string, Readonly<Record<string, Sig>>>> = {
  [HOST_MODULE]: HOST_IMPORT_SIGS,
  [STATE_MODULE]: STATE_IMPORT_SIGS,
  [HTTP_MODULE]: HTTP_IMPORT_SIGS,
  [A2A_MODULE]: A2A_IMPORT_SIGS,
  [TOPICS_MODULE]: TOPICS_IMPORT_SIGS,
  [MESSAGE_INFO_MODULE]: MESSAGE_INFO_IMPORT_SIGS,
};

/** Flat positions of fetch's request: method, url, headers (ptr, len), body/timeout-ms/context options (disc, payload…), ret*. */
export const FETCH_FLAT = { method: 0, url: 2, headers: 4, body: 6, timeout: 9, context: 11, ret: 14 } as const;

/** Flat positions of a2a's `call`: operation, url, version, subject, context-id (disc, ptr, len), headers, timeout-ms, context, ret*. */
export const A2A_CALL_FLAT = {
  operation: 0,
  url: 1,
  version: 3,
  subject: 4,
  contextId: 6,
  headers: 9,
  timeout: 11,
  context: 13,
  ret: 16,
} as const;

/** Guest exports (results that flatten to more than one value come back through a pointer). */
export const GUEST_EXPORT_SIGS: Readonly<Record<string, Sig>> = {
  init: { params: i32s(6), results: [i32] }, // init-context flattens to 6 values
  handle: { params: i32s(1), results: [i32] }, // acl-message (38 flat values) by pointer
  'on-timer': { params: i32s(2), results: [i32] },
};
export const POST_RETURN_SIG: Sig = { params: [i32], results: [] };
/** A reactor's initializer, called once after instantiation when exported. */
export const INITIALIZE = '_initialize';
export const INITIALIZE_SIG: Sig = { params: [], results: [] };
export const REALLOC_SIG: Sig = { params: i32s(4), results: [i32] };

/**
 * The export the host allocates the guest's arguments and results with: `cabi_export_realloc`
 * when the module has one (the C SDK's per-call scratch, decision 2191: its `cabi_realloc` is then
 * the lasting allocator the WASI adapter takes), else `cabi_realloc` — wit-component's choice too.
 */
export function guestRealloc(exports: Readonly<Record<string, unknown>>): 'cabi_export_realloc' | 'cabi_realloc' {
  return Object.hasOwn(exports, 'cabi_export_realloc') ? 'cabi_export_realloc' : 'cabi_realloc';
}

// ---- layouts ----
/** string / list<T>: (ptr: u32, len: u32). */
export const SLICE = { size: 8, align: 4 } as const;
/** record agent-id { name: string, addresses: list<string> } */
export const AGENT_ID = { name: 0, addresses: 8, size: 16, align: 4 } as const;
/** tuple<string, string> */
export const PAIR = { first: 0, second: 8, size: 16, align: 4 } as const;
/** option<string>: disc u8 @0, payload @4, 12 bytes. */
export const OPT_STRING = { payload: 4, size: 12 } as const;
/** option<agent-id>: disc @0, payload @4, 20 bytes. */
export const OPT_AGENT_ID = { payload: 4, size: 20 } as const;
/** option<u64>: disc @0, payload @8, 16 bytes. */
export const OPT_U64 = { payload: 8, size: 16 } as const;

/** record acl-message: 160 bytes, align 8. */
export const MSG = {
  performative: 0,
  sender: 4,
  receivers: 24,
  replyTo: 32,
  content: 40,
  language: 52,
  encoding: 64,
  ontology: 76,
  protocol: 88,
  conversationId: 100,
  replyWith: 112,
  inReplyTo: 124,
  replyBy: 136,
  userParams: 152,
  size: 160,
  align: 8,
} as const;

/** The optional string fields of acl-message, in WIT order, with their JS names. */
export const MSG_OPTIONAL_STRINGS = [
  ['content', MSG.content],
  ['language', MSG.language],
  ['encoding', MSG.encoding],
  ['ontology', MSG.ontology],
  ['protocol', MSG.protocol],
  ['conversationId', MSG.conversationId],
  ['replyWith', MSG.replyWith],
  ['inReplyTo', MSG.inReplyTo],
] as const;

/** record service-description: six slices, 48 bytes (passed flat to register-service). */
export const SERVICE = { name: 0, type: 8, protocols: 16, ontologies: 24, languages: 32, properties: 40, size: 48 } as const;

/** result<_, string>: disc @0, error string @4, 12 bytes. */
export const RESULT = { payload: 4, size: 12, align: 4 } as const;

/**
 * result<_, state-error> and result<string, http-error>: disc @0, payload @4 — the ok string, or
 * the error record { kind: u8 enum @4, message: string @8 }. 16 bytes, align 4.
 */
export const KIND_RESULT = { payload: 4, kind: 4, message: 8, size: 16, align: 4 } as const;

export const STATE_ERROR_KINDS = ['invalid-key', 'value-too-large', 'quota-exceeded', 'read-only'] as const;
export const HTTP_ERROR_KINDS = ['denied', 'invalid-request', 'quota-exceeded'] as const;
export const TOPIC_ERROR_KINDS = ['invalid-name', 'invalid-filter', 'quota-exceeded'] as const;
export const MESSAGE_INFO_ERROR_KINDS = ['no-message', 'invalid-range'] as const;

export const PERFORMATIVE_CASES = [
  'accept-proposal',
  'agree',
  'cancel',
  'cfp',
  'confirm',
  'disconfirm',
  'failure',
  'inform',
  'inform-if',
  'inform-ref',
  'not-understood',
  'propagate',
  'propose',
  'proxy',
  'query-if',
  'query-ref',
  'refuse',
  'reject-proposal',
  'request',
  'request-when',
  'request-whenever',
  'subscribe',
] as const;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
