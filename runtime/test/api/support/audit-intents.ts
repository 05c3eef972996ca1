/**
 * What a node's audit trail says was asked: the `intent` records of one method about one agent,
 * read through the API as an operator reads them.
 */
import { decodeRecord, type AuditRecord } from '@caxton/core';
import type { CaxtonClient } from '@caxton/client';

export type Fields = Record<string, string>;

/** The fields of every intent record of `method` for `agent` in the node's audit trail, in order. */
export async function intents(client: CaxtonClient, method: string, agent: string): Promise<Fields[]> {
  const records: AuditRecord[] = [];
  await client.listAudit({}, (r) => records.push(decodeRecord(r.bytes))).done;
  return records
    .filter((r) => r.kind === 'intent' && r.method === method && (r as { args: { fields: Fields } }).args.fields.agent === agent)
    .map((r) => (r as { args: { fields: Fields } }).args.fields);
}
