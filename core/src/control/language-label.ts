/**
 * An agent's source language label (`assemblyscript`, `rust`…): the one rule, shared by the gRPC
 * API and the console's upload. The deployer states it; it is shown, never trusted, so only its
 * shape is checked — short and plain enough to put in a table cell or a log line.
 */
export const LANGUAGE_LABEL = /^[a-z][a-z0-9+-]{0,31}$/;
export const LANGUAGE_LABEL_HINT =
  'use a lowercase name of 1-32 characters of a-z, 0-9, + and -, starting with a letter (e.g. assemblyscript, rust, tinygo), or leave it empty';
