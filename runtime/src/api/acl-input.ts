/**
 * SendMessage's three ways of giving a message (JSON text, FIPA string text, structured) → one
 * validated `AclMessage`. Decoding and validation are the ACL layer's; this file only routes and
 * re-labels the ACL layer's field paths as request field paths, so BadRequest details point at
 * what the client actually sent (`structured.reply_to[0].name`, `json`).
 */
import {
  AclError,
  AclParseError,
  AclValidationError,
  decodeAclJson,
  decodeAclString,
  requireReceivers,
  validateAclMessage,
  type AclMessage,
  InvalidArgumentError,
} from '@caxton/core';
import { aclFromWire } from '@caxton/client';
import type { WireSendMessageRequest } from '@caxton/client';

/** `replyTo[0].userParams.X-a` → `reply_to[0].user_params.X-a` (user parameter keys untouched). */
export function modelPathToProto(path: string): string {
  return path
    .split('.')
    .map((segment) => (/^x-/i.test(segment) ? segment : segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()))
    .join('.');
}

function relabel(err: unknown, requestField: string, structured: boolean): unknown {
  if (err instanceof AclValidationError) {
    const field = structured ? `${requestField}.${modelPathToProto(err.field)}` : requestField;
    return new InvalidArgumentError(field, err.message, err.hint);
  }
  if (err instanceof AclParseError) return new InvalidArgumentError(requestField, err.message, err.hint);
  if (err instanceof AclError) return new InvalidArgumentError(requestField, err.message, err.hint);
  return err;
}

function checked(msg: AclMessage): AclMessage {
  validateAclMessage(msg);
  requireReceivers(msg);
  // A client-supplied sender goes to the node, which refuses platform identities and deployed
  // agents' names with a typed error (decision 1401) instead of silently replacing them; without
  // one the node stamps operator@<platform>.
  return msg;
}

export function aclFromSendRequest(req: WireSendMessageRequest): AclMessage {
  switch (req.message) {
    case 'json':
      try {
        return checked(decodeAclJson(req.json));
      } catch (err) {
        throw relabel(err, 'json', false);
      }
    case 'fipa':
      try {
        return checked(decodeAclString(req.fipa));
      } catch (err) {
        throw relabel(err, 'fipa', false);
      }
    case 'structured':
      if (!req.structured) throw new InvalidArgumentError('structured', 'is empty');
      try {
        return checked(aclFromWire(req.structured));
      } catch (err) {
        throw relabel(err, 'structured', true);
      }
    default:
      throw new InvalidArgumentError('message', 'no message given', 'set one of json, fipa or structured');
  }
}
