/**
 * Validation of the dead-letter RPCs' requests (decision 1860): every field bounded before the node
 * sees it. Letter ids are delivery ids (`<message id>><agent>`), at most 512 characters here.
 */
import {
  InvalidArgumentError,
  MAX_DEAD_LETTERS_PER_CALL,
  type DeadLetterQuery,
  type DeadLetterSelection,
  type RedriveRequest,
} from '@caxton/core';
import type * as W from '@caxton/client';
import { parseAgentName } from './request-parsing.js';

const MAX_LETTER_ID_CHARS = 512;
const DEFAULT_LIST_LIMIT = 100;

export function parseLetterId(value: unknown, field = 'id'): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new InvalidArgumentError(field, 'a dead letter id is required', 'take one from `caxton dlq list`');
  if (value.length > MAX_LETTER_ID_CHARS) throw new InvalidArgumentError(field, `longer than ${MAX_LETTER_ID_CHARS} characters`);
  return value;
}

export function parseListDeadLetters(req: W.WireListDeadLettersRequest): DeadLetterQuery {
  const limit = req.limit === 0 || req.limit === undefined ? DEFAULT_LIST_LIMIT : req.limit;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_DEAD_LETTERS_PER_CALL) {
    throw new InvalidArgumentError('limit', `must be between 1 and ${MAX_DEAD_LETTERS_PER_CALL} (0: ${DEFAULT_LIST_LIMIT})`);
  }
  const query: DeadLetterQuery = { includePurged: req.includePurged === true, limit };
  if (req.agent) query.agent = parseAgentName(req.agent, 'agent');
  return query;
}

/** Exactly one of `ids` (1..MAX) or `agent`. */
export function parseSelection(req: { ids?: string[]; agent?: string }): DeadLetterSelection {
  const ids = req.ids ?? [];
  const hasAgent = typeof req.agent === 'string' && req.agent !== '';
  if (ids.length > 0 && hasAgent) throw new InvalidArgumentError('ids', 'give either ids or agent, not both');
  if (hasAgent) return { agent: parseAgentName(req.agent, 'agent') };
  if (ids.length === 0)
    throw new InvalidArgumentError(
      'ids',
      'name the dead letters (ids) or an agent whose letters all are meant',
      'e.g. `caxton dlq redrive <id>` or `--agent <name> --all`',
    );
  if (ids.length > MAX_DEAD_LETTERS_PER_CALL) throw new InvalidArgumentError('ids', `at most ${MAX_DEAD_LETTERS_PER_CALL} per call`);
  return { ids: ids.map((id, i) => parseLetterId(id, `ids[${i}]`)) };
}

export function parseRedrive(req: W.WireRedriveDeadLettersRequest): RedriveRequest {
  const request: RedriveRequest = { select: parseSelection(req) };
  if (req.to) request.to = parseAgentName(req.to, 'to');
  return request;
}
