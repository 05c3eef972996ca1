/*
 * Between caxton.h and the generated bindings (bindings.h, decision 2204): strings as the WIT's,
 * and what the host allocated for the current call, kept until the handler returns (abi.c).
 */
#ifndef CAXTON_WIT_H
#define CAXTON_WIT_H

#include "bindings.h"
#include "caxton.h"

/* A string always has a pointer: a NONE one is sent as "". */
caxton_str cx_nonnull(caxton_str s);
/* A caxton_str as the bindings' string (nonnull), and back. */
caxton_wit_string_t cx_wit_str(caxton_str s);
caxton_str cx_str(caxton_wit_string_t s);

/* The host allocated these for the current call: freed once the handler has returned. */
void cx_own_str(caxton_wit_string_t s);
void cx_own_strs(caxton_wit_list_string_t l);
void cx_own_ids(caxton_agent_types_list_agent_id_t l);
/* m comes from http@<this agent's platform> (http.c): HTTP and A2A answers are read only from it. */
bool cx_from_own_gateway(const caxton_message *m);
/* A decimal integer (optionally negative) of at most 18 digits; false otherwise. */
bool cx_integer(caxton_str s, long long *out);
/* X-caxton-http-status as a number below 1000, else 0 (no status). */
int cx_http_status(const caxton_message *m);

#endif
