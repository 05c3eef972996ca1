// Generated from wit/agent.wit (sha256 e1f47290ec5588cce8de703bd1fbe8a42f6ae66f8d81d12559994dfc90debfa8) by scripts/gen-bindings.mjs: do not edit.
// Canonical-ABI memory layouts of the records and the anonymous types of the WIT, and its enums' discriminants.

// string and list<T>: (ptr: u32, len: u32); a string’s len counts UTF-16 code units (the SDK embeds with utf16)
export const SLICE_SIZE: usize = 8;
export const SLICE_ALIGN: usize = 4;

// enum performative (types): each case's discriminant, and the count (a discriminant is below it)
export const PERFORMATIVE_ACCEPT_PROPOSAL: u32 = 0;
export const PERFORMATIVE_AGREE: u32 = 1;
export const PERFORMATIVE_CANCEL: u32 = 2;
export const PERFORMATIVE_CFP: u32 = 3;
export const PERFORMATIVE_CONFIRM: u32 = 4;
export const PERFORMATIVE_DISCONFIRM: u32 = 5;
export const PERFORMATIVE_FAILURE: u32 = 6;
export const PERFORMATIVE_INFORM: u32 = 7;
export const PERFORMATIVE_INFORM_IF: u32 = 8;
export const PERFORMATIVE_INFORM_REF: u32 = 9;
export const PERFORMATIVE_NOT_UNDERSTOOD: u32 = 10;
export const PERFORMATIVE_PROPAGATE: u32 = 11;
export const PERFORMATIVE_PROPOSE: u32 = 12;
export const PERFORMATIVE_PROXY: u32 = 13;
export const PERFORMATIVE_QUERY_IF: u32 = 14;
export const PERFORMATIVE_QUERY_REF: u32 = 15;
export const PERFORMATIVE_REFUSE: u32 = 16;
export const PERFORMATIVE_REJECT_PROPOSAL: u32 = 17;
export const PERFORMATIVE_REQUEST: u32 = 18;
export const PERFORMATIVE_REQUEST_WHEN: u32 = 19;
export const PERFORMATIVE_REQUEST_WHENEVER: u32 = 20;
export const PERFORMATIVE_SUBSCRIBE: u32 = 21;
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

// enum log-level (types): each case's discriminant, and the count (a discriminant is below it)
export const LOG_LEVEL_TRACE: u32 = 0;
export const LOG_LEVEL_DEBUG: u32 = 1;
export const LOG_LEVEL_INFO: u32 = 2;
export const LOG_LEVEL_WARN: u32 = 3;
export const LOG_LEVEL_ERROR: u32 = 4;
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

// enum state-error-kind (state): each case's discriminant, and the count (a discriminant is below it)
export const STATE_ERROR_KIND_INVALID_KEY: u32 = 0;
export const STATE_ERROR_KIND_VALUE_TOO_LARGE: u32 = 1;
export const STATE_ERROR_KIND_QUOTA_EXCEEDED: u32 = 2;
export const STATE_ERROR_KIND_READ_ONLY: u32 = 3;
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

// enum http-error-kind (http): each case's discriminant, and the count (a discriminant is below it)
export const HTTP_ERROR_KIND_DENIED: u32 = 0;
export const HTTP_ERROR_KIND_INVALID_REQUEST: u32 = 1;
export const HTTP_ERROR_KIND_QUOTA_EXCEEDED: u32 = 2;
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

// enum operation (a2a): each case's discriminant, and the count (a discriminant is below it)
export const OPERATION_SEND: u32 = 0;
export const OPERATION_STREAM: u32 = 1;
export const OPERATION_GET_TASK: u32 = 2;
export const OPERATION_CANCEL_TASK: u32 = 3;
export const OPERATION_CASES: u32 = 4;

// enum protocol-version (a2a): each case's discriminant, and the count (a discriminant is below it)
export const PROTOCOL_VERSION_V1: u32 = 0;
export const PROTOCOL_VERSION_V03: u32 = 1;
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

// enum topic-error-kind (topics): each case's discriminant, and the count (a discriminant is below it)
export const TOPIC_ERROR_KIND_INVALID_NAME: u32 = 0;
export const TOPIC_ERROR_KIND_INVALID_FILTER: u32 = 1;
export const TOPIC_ERROR_KIND_QUOTA_EXCEEDED: u32 = 2;
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

// enum message-info-error-kind (message-info): each case's discriminant, and the count (a discriminant is below it)
export const MESSAGE_INFO_ERROR_KIND_NO_MESSAGE: u32 = 0;
export const MESSAGE_INFO_ERROR_KIND_INVALID_RANGE: u32 = 1;
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
