//! The canonical ABI of `wit/agent.wit`, by hand (UTF-8 strings; see
//! docs/decisions/0505-rust-agents.md). Layouts follow the component-model rules: each field at
//! its own alignment, a record aligned to its most aligned field and its size rounded up to that;
//! `string`/`list<T>` are (ptr: u32, len: u32); `option<T>` is a u8 discriminant then the payload
//! at the payload's alignment; an enum of ≤ 256 cases is a u8. These are the same offsets as the
//! AssemblyScript SDK's `assembly/abi/layout.ts` (whose strings count UTF-16 units instead).
//!
//! Lifting reads through [`Mem`] and lowering writes into a [`Lowerer`] whose addresses start at
//! a chosen base, so both run on the host in `cargo test` as well as in linear memory.
use crate::performative::Performative;
use crate::types::{AclMessage, AgentId, InitContext};

pub const SLICE_SIZE: u32 = 8;
pub const AGENT_ID_SIZE: u32 = 16;
pub const PAIR_SIZE: u32 = 16;
pub const OPT_PAYLOAD: u32 = 4;

pub const MSG_PERFORMATIVE: u32 = 0;
pub const MSG_SENDER: u32 = 4;
pub const MSG_RECEIVERS: u32 = 24;
pub const MSG_REPLY_TO: u32 = 32;
pub const MSG_CONTENT: u32 = 40;
pub const MSG_LANGUAGE: u32 = 52;
pub const MSG_ENCODING: u32 = 64;
pub const MSG_ONTOLOGY: u32 = 76;
pub const MSG_PROTOCOL: u32 = 88;
pub const MSG_CONVERSATION_ID: u32 = 100;
pub const MSG_REPLY_WITH: u32 = 112;
pub const MSG_IN_REPLY_TO: u32 = 124;
pub const MSG_REPLY_BY: u32 = 136;
pub const MSG_USER_PARAMS: u32 = 152;
pub const MSG_SIZE: u32 = 160;
pub const MSG_ALIGN: u32 = 8;
pub const RESULT_PAYLOAD: u32 = 4;
pub const RESULT_SIZE: u32 = 12;

/// Memory the host wrote canonical-ABI values into, addressed by u32.
pub trait Mem {
    fn bytes(&self, addr: u32, len: u32) -> &[u8];
    fn u8(&self, addr: u32) -> u8 {
        self.bytes(addr, 1)[0]
    }
    fn u32(&self, addr: u32) -> u32 {
        let b = self.bytes(addr, 4);
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }
    fn u64(&self, addr: u32) -> u64 {
        let b = self.bytes(addr, 8);
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        u64::from_le_bytes(a)
    }
}

/// A byte slice standing for memory starting at `base` (tests, and lowered images).
pub struct SliceMem<'a> {
    pub base: u32,
    pub data: &'a [u8],
}

impl<'a> Mem for SliceMem<'a> {
    fn bytes(&self, addr: u32, len: u32) -> &[u8] {
        let start = addr.checked_sub(self.base).expect("address below the image") as usize;
        &self.data[start..start + len as usize]
    }
}

/// The guest's own linear memory (wasm32 only: addresses are pointers).
#[cfg(target_arch = "wasm32")]
pub struct LinearMem;

#[cfg(target_arch = "wasm32")]
impl Mem for LinearMem {
    fn bytes(&self, addr: u32, len: u32) -> &[u8] {
        if len == 0 {
            return &[];
        }
        unsafe { core::slice::from_raw_parts(addr as usize as *const u8, len as usize) }
    }
}

fn invalid(what: &str) -> ! {
    panic!("canonical ABI: invalid {}", what)
}

pub fn lift_string(mem: &dyn Mem, ptr: u32, len: u32) -> String {
    match core::str::from_utf8(mem.bytes(ptr, len)) {
        Ok(s) => s.to_string(),
        Err(_) => invalid("utf-8 string"),
    }
}

/// A string stored as (ptr, len) at `at`.
pub fn lift_string_at(mem: &dyn Mem, at: u32) -> String {
    lift_string(mem, mem.u32(at), mem.u32(at + 4))
}

pub fn lift_string_list(mem: &dyn Mem, ptr: u32, len: u32) -> Vec<String> {
    (0..len).map(|i| lift_string_at(mem, ptr + i * SLICE_SIZE)).collect()
}

pub fn lift_agent_id(mem: &dyn Mem, at: u32) -> AgentId {
    AgentId {
        name: lift_string_at(mem, at),
        addresses: lift_string_list(mem, mem.u32(at + 8), mem.u32(at + 12)),
    }
}

pub fn lift_agent_id_list(mem: &dyn Mem, ptr: u32, len: u32) -> Vec<AgentId> {
    (0..len).map(|i| lift_agent_id(mem, ptr + i * AGENT_ID_SIZE)).collect()
}

pub fn lift_pair_list(mem: &dyn Mem, ptr: u32, len: u32) -> Vec<(String, String)> {
    (0..len)
        .map(|i| {
            let at = ptr + i * PAIR_SIZE;
            (lift_string_at(mem, at), lift_string_at(mem, at + 8))
        })
        .collect()
}

/// An `option<string>` at `at` (a message field, or a return area).
pub fn lift_opt_string(mem: &dyn Mem, at: u32) -> Option<String> {
    match mem.u8(at) {
        0 => None,
        1 => Some(lift_string_at(mem, at + OPT_PAYLOAD)),
        _ => invalid("option discriminant"),
    }
}

/// An acl-message record at `at`.
pub fn lift_message(mem: &dyn Mem, at: u32) -> AclMessage {
    let performative = match Performative::from_u8(mem.u8(at + MSG_PERFORMATIVE)) {
        Some(p) => p,
        None => invalid("performative"),
    };
    let sender = match mem.u8(at + MSG_SENDER) {
        0 => None,
        1 => Some(lift_agent_id(mem, at + MSG_SENDER + 4)),
        _ => invalid("option discriminant"),
    };
    let reply_by = match mem.u8(at + MSG_REPLY_BY) {
        0 => None,
        1 => Some(mem.u64(at + MSG_REPLY_BY + 8)),
        _ => invalid("option discriminant"),
    };
    AclMessage {
        performative,
        sender,
        receivers: lift_agent_id_list(mem, mem.u32(at + MSG_RECEIVERS), mem.u32(at + MSG_RECEIVERS + 4)),
        reply_to: lift_agent_id_list(mem, mem.u32(at + MSG_REPLY_TO), mem.u32(at + MSG_REPLY_TO + 4)),
        content: lift_opt_string(mem, at + MSG_CONTENT),
        language: lift_opt_string(mem, at + MSG_LANGUAGE),
        encoding: lift_opt_string(mem, at + MSG_ENCODING),
        ontology: lift_opt_string(mem, at + MSG_ONTOLOGY),
        protocol: lift_opt_string(mem, at + MSG_PROTOCOL),
        conversation_id: lift_opt_string(mem, at + MSG_CONVERSATION_ID),
        reply_with: lift_opt_string(mem, at + MSG_REPLY_WITH),
        in_reply_to: lift_opt_string(mem, at + MSG_IN_REPLY_TO),
        reply_by,
        user_params: lift_pair_list(mem, mem.u32(at + MSG_USER_PARAMS), mem.u32(at + MSG_USER_PARAMS + 4)),
    }
}

/// init-context flattened: self.name, self.addresses, config (6 × i32).
pub fn lift_init_context(mem: &dyn Mem, flat: [u32; 6]) -> InitContext {
    InitContext {
        self_id: AgentId {
            name: lift_string(mem, flat[0], flat[1]),
            addresses: lift_string_list(mem, flat[2], flat[3]),
        },
        config: lift_pair_list(mem, flat[4], flat[5]),
    }
}

/// Writes canonical-ABI values into one buffer whose first byte has address `base`. The buffer
/// is reserved up front with [`Lowerer::with_capacity`] and never grows past it, so on wasm32 the
/// addresses stay valid (base = the buffer's own address).
pub struct Lowerer {
    pub base: u32,
    pub buf: Vec<u8>,
}

impl Lowerer {
    /// A buffer of `capacity` bytes at address `base` (None: its own address, wasm32 only).
    pub fn with_capacity(capacity: usize, base: Option<u32>) -> Lowerer {
        // 8 spare bytes so the first record can be aligned to 8 whatever the allocator gives.
        let buf: Vec<u8> = Vec::with_capacity(capacity + 8);
        let base = base.unwrap_or(buf.as_ptr() as usize as u32);
        Lowerer { base, buf }
    }

    fn addr(&self) -> u32 {
        self.base + self.buf.len() as u32
    }

    /// Reserves `size` zeroed bytes aligned to `align`; returns their address.
    pub fn alloc(&mut self, size: u32, align: u32) -> u32 {
        while self.addr() % align != 0 {
            self.buf.push(0);
        }
        let at = self.addr();
        assert!(self.buf.len() + size as usize <= self.buf.capacity(), "lowering buffer overflow");
        self.buf.resize(self.buf.len() + size as usize, 0);
        at
    }

    pub fn put_u8(&mut self, at: u32, v: u8) {
        let i = (at - self.base) as usize;
        self.buf[i] = v;
    }
    pub fn put_u32(&mut self, at: u32, v: u32) {
        let i = (at - self.base) as usize;
        self.buf[i..i + 4].copy_from_slice(&v.to_le_bytes());
    }
    pub fn put_u64(&mut self, at: u32, v: u64) {
        let i = (at - self.base) as usize;
        self.buf[i..i + 8].copy_from_slice(&v.to_le_bytes());
    }

    /// Copies a string's bytes and writes (ptr, len) at `at`.
    pub fn string_at(&mut self, at: u32, s: &str) {
        let ptr = self.alloc(s.len() as u32, 1);
        let i = (ptr - self.base) as usize;
        self.buf[i..i + s.len()].copy_from_slice(s.as_bytes());
        self.put_u32(at, ptr);
        self.put_u32(at + 4, s.len() as u32);
    }

    pub fn string_list_at(&mut self, at: u32, list: &[String]) {
        let ptr = self.alloc(list.len() as u32 * SLICE_SIZE, 4);
        for (i, s) in list.iter().enumerate() {
            self.string_at(ptr + i as u32 * SLICE_SIZE, s);
        }
        self.put_u32(at, ptr);
        self.put_u32(at + 4, list.len() as u32);
    }

    pub fn pair_list_at(&mut self, at: u32, list: &[(String, String)]) {
        let ptr = self.alloc(list.len() as u32 * PAIR_SIZE, 4);
        for (i, (k, v)) in list.iter().enumerate() {
            let p = ptr + i as u32 * PAIR_SIZE;
            self.string_at(p, k);
            self.string_at(p + 8, v);
        }
        self.put_u32(at, ptr);
        self.put_u32(at + 4, list.len() as u32);
    }

    pub fn agent_id_at(&mut self, at: u32, id: &AgentId) {
        self.string_at(at, &id.name);
        self.string_list_at(at + 8, &id.addresses);
    }

    pub fn agent_id_list_at(&mut self, at: u32, list: &[AgentId]) {
        let ptr = self.alloc(list.len() as u32 * AGENT_ID_SIZE, 4);
        for (i, id) in list.iter().enumerate() {
            self.agent_id_at(ptr + i as u32 * AGENT_ID_SIZE, id);
        }
        self.put_u32(at, ptr);
        self.put_u32(at + 4, list.len() as u32);
    }

    fn opt_string_at(&mut self, at: u32, s: &Option<String>) {
        if let Some(s) = s {
            self.put_u8(at, 1);
            self.string_at(at + OPT_PAYLOAD, s);
        }
    }

    /// Lowers a whole acl-message; returns the record's address.
    pub fn message(&mut self, m: &AclMessage) -> u32 {
        let at = self.alloc(MSG_SIZE, MSG_ALIGN);
        self.put_u8(at + MSG_PERFORMATIVE, m.performative as u8);
        if let Some(s) = &m.sender {
            self.put_u8(at + MSG_SENDER, 1);
            self.agent_id_at(at + MSG_SENDER + 4, s);
        }
        self.agent_id_list_at(at + MSG_RECEIVERS, &m.receivers);
        self.agent_id_list_at(at + MSG_REPLY_TO, &m.reply_to);
        self.opt_string_at(at + MSG_CONTENT, &m.content);
        self.opt_string_at(at + MSG_LANGUAGE, &m.language);
        self.opt_string_at(at + MSG_ENCODING, &m.encoding);
        self.opt_string_at(at + MSG_ONTOLOGY, &m.ontology);
        self.opt_string_at(at + MSG_PROTOCOL, &m.protocol);
        self.opt_string_at(at + MSG_CONVERSATION_ID, &m.conversation_id);
        self.opt_string_at(at + MSG_REPLY_WITH, &m.reply_with);
        self.opt_string_at(at + MSG_IN_REPLY_TO, &m.in_reply_to);
        if let Some(t) = m.reply_by {
            self.put_u8(at + MSG_REPLY_BY, 1);
            self.put_u64(at + MSG_REPLY_BY + 8, t);
        }
        self.pair_list_at(at + MSG_USER_PARAMS, &m.user_params);
        at
    }
}

fn strings_bound(list: &[String]) -> usize {
    list.iter().map(|s| s.len() + 3).sum::<usize>() + list.len() * 8 + 4
}

fn agent_id_bound(id: &AgentId) -> usize {
    AGENT_ID_SIZE as usize + id.name.len() + 3 + strings_bound(&id.addresses)
}

fn agent_ids_bound(list: &[AgentId]) -> usize {
    list.iter().map(agent_id_bound).sum::<usize>() + 4
}

fn pairs_bound(list: &[(String, String)]) -> usize {
    list.iter().map(|(k, v)| PAIR_SIZE as usize + k.len() + v.len() + 6).sum::<usize>() + 4
}

/// An upper bound of the bytes `Lowerer::message` writes (padding included).
pub fn message_bound(m: &AclMessage) -> usize {
    let opts = [&m.content, &m.language, &m.encoding, &m.ontology, &m.protocol, &m.conversation_id, &m.reply_with, &m.in_reply_to];
    MSG_SIZE as usize
        + 8
        + m.sender.as_ref().map(agent_id_bound).unwrap_or(0)
        + agent_ids_bound(&m.receivers)
        + agent_ids_bound(&m.reply_to)
        + opts.iter().map(|o| o.as_ref().map(|s| s.len()).unwrap_or(0)).sum::<usize>()
        + pairs_bound(&m.user_params)
}

/// Bytes a list of strings and pairs take when lowered (for register-service).
pub fn lists_bound(lists: &[&[String]], pairs: &[(String, String)]) -> usize {
    lists.iter().map(|l| strings_bound(l)).sum::<usize>() + pairs_bound(pairs) + 64
}

// ---- caxton:agent/state and caxton:agent/http ------------------------------------------------
//
//   option<string>                 disc u8 @0, string @4                          12 bytes, align 4
//   state-error / http-error       kind (enum, u8) @0, message @4                 12 bytes, align 4
//   result<_, state-error>         disc u8 @0, error record @4 (kind @4, message @8) 16 bytes, align 4
//   result<string, http-error>     disc u8 @0, payload @4: ok string (ptr @4, len @8) or
//                                  error record (kind @4, message @8)             16 bytes, align 4
//   list<string> (keys' return)    (ptr @0, len @4)                                8 bytes, align 4
//   http.request flattened         method (2), url (2), headers (2), body option (3), timeout-ms
//                                  option (2), context option (3) = 14 core values ≤ 16, so it
//                                  is passed flat, not through memory.

pub const OPT_STRING_SIZE: u32 = 12;
pub const ERROR_RESULT_SIZE: u32 = 16;
pub const ERROR_RESULT_KIND: u32 = 4;
pub const ERROR_RESULT_MESSAGE: u32 = 8;
pub const REQUEST_FLAT_VALUES: usize = 14;

/// A `result<_, E>` or `result<string, E>` whose error is a `{ kind: enum, message: string }`
/// record: `Ok(None)` for `_`, `Ok(Some(s))` when `ok_is_string`, `Err((kind, message))`.
pub fn lift_kind_error_result(mem: &dyn Mem, at: u32, ok_is_string: bool) -> Result<Option<String>, (u8, String)> {
    match mem.u8(at) {
        0 if ok_is_string => Ok(Some(lift_string_at(mem, at + RESULT_PAYLOAD))),
        0 => Ok(None),
        1 => Err((mem.u8(at + ERROR_RESULT_KIND), lift_string_at(mem, at + ERROR_RESULT_MESSAGE))),
        _ => invalid("result discriminant"),
    }
}

/// A lowered `option<string>` as its three flat values (discriminant, ptr, len).
pub fn opt_string_flat(low: &mut Lowerer, s: &Option<String>) -> [u32; 3] {
    match s {
        None => [0, 0, 0],
        Some(s) => {
            let slot = low.alloc(SLICE_SIZE, 4);
            low.string_at(slot, s);
            let img = SliceMem { base: low.base, data: &low.buf };
            [1, img.u32(slot), img.u32(slot + 4)]
        }
    }
}

/// The 14 flat core values of an http `request` (strings and the header list copied into `low`).
pub fn request_flat(low: &mut Lowerer, r: &crate::http::Request) -> [u32; REQUEST_FLAT_VALUES] {
    let slots = low.alloc(3 * SLICE_SIZE, 4);
    low.string_at(slots, &r.method);
    low.string_at(slots + 8, &r.url);
    low.pair_list_at(slots + 16, &r.headers);
    let body = opt_string_flat(low, &r.body);
    let context = opt_string_flat(low, &r.context);
    let img = SliceMem { base: low.base, data: &low.buf };
    let w = |i: u32| img.u32(slots + i * 4);
    let (timeout_disc, timeout) = match r.timeout_ms {
        Some(t) => (1, t),
        None => (0, 0),
    };
    [
        w(0), w(1), w(2), w(3), w(4), w(5),
        body[0], body[1], body[2],
        timeout_disc, timeout,
        context[0], context[1], context[2],
    ]
}

/// An upper bound of the bytes [`request_flat`] writes.
pub fn request_bound(r: &crate::http::Request) -> usize {
    3 * SLICE_SIZE as usize
        + r.method.len() + r.url.len() + 6
        + pairs_bound(&r.headers)
        + r.body.as_ref().map(|s| s.len() + 12).unwrap_or(0)
        + r.context.as_ref().map(|s| s.len() + 12).unwrap_or(0)
        + 16
}

// ---- caxton:agent/a2a ---------------------------------------------------------------------------
//
//   call flattened                 operation (enum, 1), url (2), version (enum, 1), subject (2),
//                                  context-id option (3), headers (2), timeout-ms option (2),
//                                  context option (3) = 16 core values, so it is passed flat
//                                  (the most the canonical ABI flattens), then the return pointer.
//   result<string, http-error>     as `fetch`'s (see above)                       16 bytes, align 4

pub const A2A_CALL_FLAT_VALUES: usize = 16;

/// The 16 flat core values of an a2a `call` (strings and the header list copied into `low`).
pub fn a2a_call_flat(low: &mut Lowerer, c: &crate::a2a::A2aCall) -> [u32; A2A_CALL_FLAT_VALUES] {
    let slots = low.alloc(3 * SLICE_SIZE, 4);
    low.string_at(slots, &c.url);
    low.string_at(slots + 8, &c.subject);
    low.pair_list_at(slots + 16, &c.headers);
    let context_id = opt_string_flat(low, &c.context_id);
    let context = opt_string_flat(low, &c.context);
    let img = SliceMem { base: low.base, data: &low.buf };
    let w = |i: u32| img.u32(slots + i * 4);
    let (timeout_disc, timeout) = match c.timeout_ms {
        Some(t) => (1, t),
        None => (0, 0),
    };
    [
        c.operation as u32,
        w(0), w(1),
        c.version as u32,
        w(2), w(3),
        context_id[0], context_id[1], context_id[2],
        w(4), w(5),
        timeout_disc, timeout,
        context[0], context[1], context[2],
    ]
}

/// An upper bound of the bytes [`a2a_call_flat`] writes.
pub fn a2a_call_bound(c: &crate::a2a::A2aCall) -> usize {
    3 * SLICE_SIZE as usize
        + c.url.len() + c.subject.len() + 6
        + pairs_bound(&c.headers)
        + c.context_id.as_ref().map(|s| s.len() + 12).unwrap_or(0)
        + c.context.as_ref().map(|s| s.len() + 12).unwrap_or(0)
        + 16
}
