// Generated from wit/agent.wit (sha256 e1f47290ec5588cce8de703bd1fbe8a42f6ae66f8d81d12559994dfc90debfa8) by scripts/gen-bindings.mjs: do not edit.
// Canonical-ABI memory layouts of the records and the anonymous types of the WIT.

// string and list<T>: (ptr: u32, len: u32); a string’s len counts UTF-16 code units (the SDK embeds with utf16)
export const SLICE_SIZE: usize = 8;
export const SLICE_ALIGN: usize = 4;

// enum performative (types): a discriminant below this
export const PERFORMATIVE_CASES: u32 = 22;

// record agent-id (types): 16 bytes, align 4
export const AGENT_ID_NAME: usize = 0;
export const AGENT_ID_ADDRESSES: usize = 8;
export const AGENT_ID_SIZE: usize = 16;
export const AGENT_ID_ALIGN: usize = 4;

// record acl-message (types): 160 bytes, align 8
export const ACL_MESSAGE_PERFORMATIVE: usize = 0;
export const ACL_MESSAGE_SENDER: usize = 4;
export const ACL_MESSAGE_SENDER_PAYLOAD: usize = 8;
export const ACL_MESSAGE_RECEIVERS: usize = 24;
export const ACL_MESSAGE_REPLY_TO: usize = 32;
export const ACL_MESSAGE_CONTENT: usize = 40;
export const ACL_MESSAGE_CONTENT_PAYLOAD: usize = 44;
export const ACL_MESSAGE_LANGUAGE: usize = 52;
export const ACL_MESSAGE_LANGUAGE_PAYLOAD: usize = 56;
export const ACL_MESSAGE_ENCODING: usize = 64;
export const ACL_MESSAGE_ENCODING_PAYLOAD: usize = 68;
export const ACL_MESSAGE_ONTOLOGY: usize = 76;
export const ACL_MESSAGE_ONTOLOGY_PAYLOAD: usize = 80;
export const ACL_MESSAGE_PROTOCOL: usize = 88;
export const ACL_MESSAGE_PROTOCOL_PAYLOAD: usize = 92;
export const ACL_MESSAGE_CONVERSATION_ID: usize = 100;
export const ACL_MESSAGE_CONVERSATION_ID_PAYLOAD: usize = 104;
export const ACL_MESSAGE_REPLY_WITH: usize = 112;
export const ACL_MESSAGE_REPLY_WITH_PAYLOAD: usize = 116;
export const ACL_MESSAGE_IN_REPLY_TO: usize = 124;
export const ACL_MESSAGE_IN_REPLY_TO_PAYLOAD: usize = 128;
export const ACL_MESSAGE_REPLY_BY: usize = 136;
export const ACL_MESSAGE_REPLY_BY_PAYLOAD: usize = 144;
export const ACL_MESSAGE_USER_PARAMS: usize = 152;
export const ACL_MESSAGE_SIZE: usize = 160;
export const ACL_MESSAGE_ALIGN: usize = 8;

// option<agent-id>: 20 bytes, align 4
export const OPTION_AGENT_ID_PAYLOAD: usize = 4;
export const OPTION_AGENT_ID_SIZE: usize = 20;
export const OPTION_AGENT_ID_ALIGN: usize = 4;

// option<string>: 12 bytes, align 4
export const OPTION_STRING_PAYLOAD: usize = 4;
export const OPTION_STRING_SIZE: usize = 12;
export const OPTION_STRING_ALIGN: usize = 4;

// option<u64>: 16 bytes, align 8
export const OPTION_U64_PAYLOAD: usize = 8;
export const OPTION_U64_SIZE: usize = 16;
export const OPTION_U64_ALIGN: usize = 8;

// tuple<string, string>: 16 bytes, align 4
export const TUPLE_STRING_STRING_0: usize = 0;
export const TUPLE_STRING_STRING_1: usize = 8;
export const TUPLE_STRING_STRING_SIZE: usize = 16;
export const TUPLE_STRING_STRING_ALIGN: usize = 4;

// enum log-level (types): a discriminant below this
export const LOG_LEVEL_CASES: u32 = 5;

// record service-description (types): 48 bytes, align 4
export const SERVICE_DESCRIPTION_NAME: usize = 0;
export const SERVICE_DESCRIPTION_TYPE: usize = 8;
export const SERVICE_DESCRIPTION_PROTOCOLS: usize = 16;
export const SERVICE_DESCRIPTION_ONTOLOGIES: usize = 24;
export const SERVICE_DESCRIPTION_LANGUAGES: usize = 32;
export const SERVICE_DESCRIPTION_PROPERTIES: usize = 40;
export const SERVICE_DESCRIPTION_SIZE: usize = 48;
export const SERVICE_DESCRIPTION_ALIGN: usize = 4;

// record init-context (types): 24 bytes, align 4
export const INIT_CONTEXT_SELF: usize = 0;
export const INIT_CONTEXT_CONFIG: usize = 16;
export const INIT_CONTEXT_SIZE: usize = 24;
export const INIT_CONTEXT_ALIGN: usize = 4;

// result<_, string>: 12 bytes, align 4
export const RESULT_NONE_STRING_PAYLOAD: usize = 4;
export const RESULT_NONE_STRING_SIZE: usize = 12;
export const RESULT_NONE_STRING_ALIGN: usize = 4;

// enum state-error-kind (state): a discriminant below this
export const STATE_ERROR_KIND_CASES: u32 = 4;

// record state-error (state): 12 bytes, align 4
export const STATE_ERROR_KIND: usize = 0;
export const STATE_ERROR_MESSAGE: usize = 4;
export const STATE_ERROR_SIZE: usize = 12;
export const STATE_ERROR_ALIGN: usize = 4;

// result<_, state-error>: 16 bytes, align 4
export const RESULT_NONE_STATE_ERROR_PAYLOAD: usize = 4;
export const RESULT_NONE_STATE_ERROR_SIZE: usize = 16;
export const RESULT_NONE_STATE_ERROR_ALIGN: usize = 4;

// record request (http): 56 bytes, align 4
export const REQUEST_METHOD: usize = 0;
export const REQUEST_URL: usize = 8;
export const REQUEST_HEADERS: usize = 16;
export const REQUEST_BODY: usize = 24;
export const REQUEST_BODY_PAYLOAD: usize = 28;
export const REQUEST_TIMEOUT_MS: usize = 36;
export const REQUEST_TIMEOUT_MS_PAYLOAD: usize = 40;
export const REQUEST_CONTEXT: usize = 44;
export const REQUEST_CONTEXT_PAYLOAD: usize = 48;
export const REQUEST_SIZE: usize = 56;
export const REQUEST_ALIGN: usize = 4;

// option<u32>: 8 bytes, align 4
export const OPTION_U32_PAYLOAD: usize = 4;
export const OPTION_U32_SIZE: usize = 8;
export const OPTION_U32_ALIGN: usize = 4;

// enum http-error-kind (http): a discriminant below this
export const HTTP_ERROR_KIND_CASES: u32 = 3;

// record http-error (http): 12 bytes, align 4
export const HTTP_ERROR_KIND: usize = 0;
export const HTTP_ERROR_MESSAGE: usize = 4;
export const HTTP_ERROR_SIZE: usize = 12;
export const HTTP_ERROR_ALIGN: usize = 4;

// result<string, http-error>: 16 bytes, align 4
export const RESULT_STRING_HTTP_ERROR_PAYLOAD: usize = 4;
export const RESULT_STRING_HTTP_ERROR_SIZE: usize = 16;
export const RESULT_STRING_HTTP_ERROR_ALIGN: usize = 4;

// enum operation (a2a): a discriminant below this
export const OPERATION_CASES: u32 = 4;

// enum protocol-version (a2a): a discriminant below this
export const PROTOCOL_VERSION_CASES: u32 = 2;

// record call (a2a): 64 bytes, align 4
export const CALL_OPERATION: usize = 0;
export const CALL_URL: usize = 4;
export const CALL_VERSION: usize = 12;
export const CALL_SUBJECT: usize = 16;
export const CALL_CONTEXT_ID: usize = 24;
export const CALL_CONTEXT_ID_PAYLOAD: usize = 28;
export const CALL_HEADERS: usize = 36;
export const CALL_TIMEOUT_MS: usize = 44;
export const CALL_TIMEOUT_MS_PAYLOAD: usize = 48;
export const CALL_CONTEXT: usize = 52;
export const CALL_CONTEXT_PAYLOAD: usize = 56;
export const CALL_SIZE: usize = 64;
export const CALL_ALIGN: usize = 4;

// enum topic-error-kind (topics): a discriminant below this
export const TOPIC_ERROR_KIND_CASES: u32 = 3;

// record topic-error (topics): 12 bytes, align 4
export const TOPIC_ERROR_KIND: usize = 0;
export const TOPIC_ERROR_MESSAGE: usize = 4;
export const TOPIC_ERROR_SIZE: usize = 12;
export const TOPIC_ERROR_ALIGN: usize = 4;

// result<_, topic-error>: 16 bytes, align 4
export const RESULT_NONE_TOPIC_ERROR_PAYLOAD: usize = 4;
export const RESULT_NONE_TOPIC_ERROR_SIZE: usize = 16;
export const RESULT_NONE_TOPIC_ERROR_ALIGN: usize = 4;

// enum message-info-error-kind (message-info): a discriminant below this
export const MESSAGE_INFO_ERROR_KIND_CASES: u32 = 2;

// record message-info-error (message-info): 12 bytes, align 4
export const MESSAGE_INFO_ERROR_KIND: usize = 0;
export const MESSAGE_INFO_ERROR_MESSAGE: usize = 4;
export const MESSAGE_INFO_ERROR_SIZE: usize = 12;
export const MESSAGE_INFO_ERROR_ALIGN: usize = 4;

// result<list<agent-id>, message-info-error>: 16 bytes, align 4
export const RESULT_LIST_AGENT_ID_MESSAGE_INFO_ERROR_PAYLOAD: usize = 4;
export const RESULT_LIST_AGENT_ID_MESSAGE_INFO_ERROR_SIZE: usize = 16;
export const RESULT_LIST_AGENT_ID_MESSAGE_INFO_ERROR_ALIGN: usize = 4;
