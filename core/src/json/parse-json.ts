/**
 * `JSON.parse` whose object keys are exactly what the text says, on every Node Caxton runs on.
 *
 * Why not plain `JSON.parse`: V8 13.6 and 14.6 (Node 24 and 26; not Node 20 or 22) can hand back
 * the wrong property name for a key written with an escape sequence once an earlier parse in the
 * same process cached another escaped key: after `{"a\\":1}`, `{"a\"":1}` reads back with the key
 * `a\` (nodejs/node#63785, V8 issue 521080746, open; reproduced on this machine with 24.21.0 and
 * 26.10.0). In a runtime that decodes many tenants' messages in one process, one agent's message
 * could so rename another agent's user parameter. Values and unescaped keys are not affected.
 *
 * So the native parser still parses everything (and still produces every syntax error), and only a
 * text with an escaped key (one `indexOf` for texts without any backslash) is parsed again by the
 * exact parser below, which never asks V8 for a property name (decision 1820).
 */
import { parseValidJson } from './valid-json-parser.js';
import { hasEscapedKey } from './escaped-key.js';

export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return hasEscapedKey(text) ? parseValidJson(text) : value;
}
