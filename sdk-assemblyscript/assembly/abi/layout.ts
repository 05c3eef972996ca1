// Canonical-ABI memory layouts of the records in wit/agent.wit, computed by hand from the
// component-model rules (each field aligned to its own alignment, a record aligned to its most
// aligned field, the size rounded up to that alignment). `string` and `list<T>` are (ptr: u32,
// len: u32): 8 bytes, align 4. For strings `len` counts UTF-16 code units because the component is
// embedded with `--string-encoding utf16`. An `option<T>`/`result` is a u8 discriminant followed by
// the payload at the payload's alignment. An enum of <= 256 cases is a u8.
//
// These numbers are the contract with the host: if the WIT changes, they change, and the round-trip
// test in toolchain/test catches a mismatch.

// string / list<T>
export const SLICE_SIZE: usize = 8;
export const SLICE_ALIGN: usize = 4;

// record agent-id { name: string, addresses: list<string> }
export const AGENT_ID_NAME: usize = 0;
export const AGENT_ID_ADDRESSES: usize = 8;
export const AGENT_ID_SIZE: usize = 16;
export const AGENT_ID_ALIGN: usize = 4;

// tuple<string, string>
export const PAIR_FIRST: usize = 0;
export const PAIR_SECOND: usize = 8;
export const PAIR_SIZE: usize = 16;
export const PAIR_ALIGN: usize = 4;

// option<string>: u8 discriminant, payload at 4 (string align), 12 bytes.
export const OPT_PAYLOAD: usize = 4;

// record acl-message. option<agent-id> is 1 + 3 padding + 16 = 20 bytes at offset 4; option<u64>
// puts its payload at offset 8 inside the option (u64 aligns to 8), which makes the whole record
// 8-aligned and 160 bytes.
export const MSG_PERFORMATIVE: usize = 0; // u8 enum
export const MSG_SENDER: usize = 4; // option<agent-id>: disc @4, agent-id @8
export const MSG_RECEIVERS: usize = 24; // list<agent-id>
export const MSG_REPLY_TO: usize = 32; // list<agent-id>
export const MSG_CONTENT: usize = 40; // option<string> x 8, 12 bytes each
export const MSG_LANGUAGE: usize = 52;
export const MSG_ENCODING: usize = 64;
export const MSG_ONTOLOGY: usize = 76;
export const MSG_PROTOCOL: usize = 88;
export const MSG_CONVERSATION_ID: usize = 100;
export const MSG_REPLY_WITH: usize = 112;
export const MSG_IN_REPLY_TO: usize = 124;
export const MSG_REPLY_BY: usize = 136; // option<u64>: disc @136, u64 @144
export const MSG_USER_PARAMS: usize = 152; // list<tuple<string,string>>
export const MSG_SIZE: usize = 160;
export const MSG_ALIGN: usize = 8;

// result<_, string>: disc @0, error string @4, 12 bytes, align 4. Also the largest return area the
// guest exports need; import calls returning a string or list need 8 bytes.
export const RESULT_PAYLOAD: usize = 4;
export const RESULT_SIZE: usize = 12;

// Number of performative cases (enum discriminant must be < this).
export const PERFORMATIVE_CASES: u32 = 22;
export const LOG_LEVEL_CASES: u32 = 5;

// option<string> as a return area: disc @0, string @4 (OPT_PAYLOAD), 12 bytes, align 4.
export const OPT_STRING_SIZE: usize = 12;

// record state-error / record http-error { kind: enum (u8), message: string }: kind @0, message @4,
// 12 bytes, align 4.
export const ERROR_RECORD_KIND: usize = 0;
export const ERROR_RECORD_MESSAGE: usize = 4;

// result<_, state-error> and result<string, http-error> as return areas: disc @0, payload @4 (the
// payload aligns to 4: a string or an error record), 16 bytes (4 + the 12-byte record), align 4.
export const RESULT_RECORD_PAYLOAD: usize = 4;
export const RESULT_RECORD_SIZE: usize = 16;

export const STATE_ERROR_KIND_CASES: u32 = 4;
export const HTTP_ERROR_KIND_CASES: u32 = 3;
/** Cases of `topic-error-kind` (an agent traps on any other discriminant: a broken host). */
export const TOPIC_ERROR_KIND_CASES: u32 = 3;
/** Cases of `message-info-error-kind` (decision 2001; any other discriminant is a broken host). */
export const MESSAGE_INFO_ERROR_KIND_CASES: u32 = 2;
