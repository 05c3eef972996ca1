/**
 * The replay export format, version 2 (issue 57): what its lines are, the header's shape and its
 * check, and the typed errors a reader gives. One definition, shared by the writer and the reader
 * (export-file.ts), so the writer never writes what the reader refuses.
 *
 * NDJSON, one JSON object per line, each ended by `\n`:
 * 1. the header: `{"format":"caxton-replay-export","version":2,"agent","identity","deployment",
 *    "servicesByType":{type:[{name}]},"component":{"digest":<sha256 hex>,"bytes":n},"exportedAt":ms}`;
 * 2. the component, base64 in chunks: `{"c":"<base64 of ≤ 48 KiB>"}` (≤ 64 KiB a line);
 * 3. one line per recorded event, in order: `{"e":<RecordedEvent>}` (export-events.ts checks them);
 * 4. the end: `{"end":{"events":N,"sha256":<hex of every byte before this line>}}`.
 *
 * Version 2 added a handling's `clockAt` (decision 2178); a version 1 file is read as it is (its
 * handlings have none). A build that reads only version 1 refuses a version 2 file by its header.
 */
import { ARTIFACT_LIMIT_TABLE, parseJson, parseTopicPatterns, type HttpPolicyInput } from '@caxton/core';
import { resolveHttpPolicy } from '../http/policy.js';
import { ReplayError } from './errors.js';
import { isPlainRecord } from './export-events.js';
import type { RecordedDeployment } from './recorded.js';

export const EXPORT_FORMAT = 'caxton-replay-export';
export const EXPORT_VERSION = 2;
/** The oldest version this build reads. */
export const MIN_EXPORT_READ_VERSION = 1;

/** Component bytes per `c` line: 48 KiB, 64 KiB of base64. */
export const COMPONENT_CHUNK_BYTES = 48 * 1024;
/**
 * The longest line written or read. An event's line holds one handling (its delivery, its state
 * writes, its sends): within the node's limits a commit is at most 8 MiB (STATE_COMMIT_MAX_BYTES)
 * and a message 1 MiB, so a handling past this is one that sent many large messages; the writer
 * refuses it (`replay.export-too-large`) rather than write a line a reader would refuse.
 */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
/** The largest component: the most any node accepts (core's artifact limit's ceiling). */
export const DEFAULT_MAX_COMPONENT_BYTES: number = ARTIFACT_LIMIT_TABLE.maxArtifactBytes.ceiling;

/** What the header says of the export. */
export interface ReplayExportHeader {
  format: typeof EXPORT_FORMAT;
  /** The version the file was written in (EXPORT_VERSION when this build writes it). */
  version: number;
  /** The agent's name as deployed (`counter`, `counter/alice`). */
  agent: string;
  /** `name@platform`, as its sandbox knew it. */
  identity: string;
  deployment: RecordedDeployment;
  /** The directory as the node's registry held it at the export: what `search-services` answers. */
  servicesByType: Record<string, { name: string }[]>;
  component: { digest: string; bytes: number };
  /** When it was written, ms since epoch. */
  exportedAt: number;
  /** The agents (and kinds) deployed where it was recorded: a replayed send to one the log lacks differs. Absent: not compared. */
  localAgents?: string[];
}

/** The most agent names a header lists (a node's registry holds far fewer). */
export const MAX_EXPORT_LOCAL_AGENTS = 100_000;

/** The end line's content. */
export interface ReplayExportEnd {
  events: number;
  sha256: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const HEADER_START = Buffer.from(`{"format":${JSON.stringify(EXPORT_FORMAT)}`, 'utf8');

// ---- errors ----

export function exportCorrupt(file: string, line: number, why: string, cause?: unknown): ReplayError {
  return new ReplayError('replay.export-corrupt', `the export file ${file} is corrupt at line ${line}: ${why}`, {
    context: { file, line },
    ...(cause === undefined ? {} : { cause }),
    hint: 'the file was damaged after it was written (storage, a transfer in text mode, an edit): copy it again from where it was exported, or export again',
  });
}

export function exportTruncated(file: string, why: string): ReplayError {
  return new ReplayError('replay.export-truncated', `the export file ${file} is truncated: ${why}`, {
    context: { file },
    hint: 'the file was cut short (a copy or a transfer that stopped early, a full disk): copy it again from where it was exported, or export again',
  });
}

function exportFormat(file: string, why: string, hint: string): ReplayError {
  return new ReplayError('replay.export-format', `${file} is not a replay export this build reads: ${why}`, {
    context: { file },
    hint,
  });
}

// ---- the header ----

/**
 * The header out of line 1's bytes. A first line that is not a replay export's header is
 * `replay.export-format`; one that starts as a header but does not hold together is
 * `replay.export-corrupt`; a component over `maxComponentBytes` too (no writer writes one).
 */
export function parseHeader(file: string, bytes: Buffer, maxComponentBytes: number): ReplayExportHeader {
  const looksLikeHeader = bytes.subarray(0, HEADER_START.length).equals(HEADER_START);
  let value: unknown;
  try {
    value = parseJson(bytes.toString('utf8'));
  } catch (cause) {
    if (looksLikeHeader) throw exportCorrupt(file, 1, 'the header is not JSON', cause);
    value = undefined;
  }
  if (!isPlainRecord(value) || value['format'] !== EXPORT_FORMAT)
    throw exportFormat(
      file,
      `its first line is not {"format":"${EXPORT_FORMAT}",…}`,
      'pass a file written by caxton replay --export (an audit export is read by caxton audit verify --input)',
    );
  const version = value['version'];
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < MIN_EXPORT_READ_VERSION || version > EXPORT_VERSION)
    throw exportFormat(
      file,
      `format version ${JSON.stringify(value['version'])}, this build reads versions ${MIN_EXPORT_READ_VERSION} to ${EXPORT_VERSION}`,
      typeof value['version'] === 'number' && value['version'] > EXPORT_VERSION
        ? 'it was written by a newer caxton: replay it with that version'
        : 'export it again with this build',
    );
  const why = headerProblem(value, maxComponentBytes);
  if (why !== undefined) throw exportCorrupt(file, 1, `the header's ${why}`);
  // Checked field by field above.
  const checked = value as unknown as ReplayExportHeader;
  return {
    format: EXPORT_FORMAT,
    version,
    agent: checked.agent,
    identity: checked.identity,
    deployment: deploymentOf(checked.deployment as unknown as Record<string, unknown>),
    servicesByType: checked.servicesByType,
    component: { digest: checked.component.digest, bytes: checked.component.bytes },
    exportedAt: checked.exportedAt,
    ...(checked.localAgents === undefined ? {} : { localAgents: checked.localAgents }),
  };
}

/** What is wrong with a header's fields (format and version aside), or undefined: the writer checks what it writes with it too. */
export function headerProblem(header: Record<string, unknown>, maxComponentBytes: number): string | undefined {
  const { agent, identity, deployment, servicesByType, component, exportedAt } = header;
  if (typeof agent !== 'string' || agent.length === 0) return 'agent is not a name';
  if (typeof identity !== 'string' || identity.length === 0) return 'identity is not a name';
  if (typeof exportedAt !== 'number' || !Number.isFinite(exportedAt)) return 'exportedAt is not a time';
  const why = deploymentProblem(deployment) ?? servicesProblem(servicesByType);
  if (why !== undefined) return why;
  const local = header['localAgents'];
  if (
    local !== undefined &&
    (!Array.isArray(local) ||
      local.length > MAX_EXPORT_LOCAL_AGENTS ||
      local.some((n) => typeof n !== 'string' || n.length === 0 || n.length > 1024))
  )
    return `localAgents is not a list of at most ${MAX_EXPORT_LOCAL_AGENTS} agent names`;
  if (!isPlainRecord(component) || typeof component['digest'] !== 'string' || !SHA256_HEX.test(component['digest']))
    return 'component has no sha256 digest';
  const size = component['bytes'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) return 'component size is not a positive integer';
  if (size > maxComponentBytes) return `component size, ${size} bytes, is more than ${maxComponentBytes}, the most a node accepts`;
  return undefined;
}

/** The end line's content, or why it is not one. */
export function parseEnd(value: unknown): ReplayExportEnd | string {
  if (!isPlainRecord(value)) return 'the end line is not an object';
  const { events, sha256 } = value;
  if (typeof events !== 'number' || !Number.isSafeInteger(events) || events < 0) return 'the end line has no event count';
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) return 'the end line has no sha256';
  return { events, sha256 };
}

/**
 * The deployment as written, every field kept: those a replay reads are checked (deploymentProblem),
 * and one a newer RecordedDeployment adds goes through unread rather than lost.
 */
function deploymentOf(d: Record<string, unknown>): RecordedDeployment {
  return d as unknown as RecordedDeployment;
}

function deploymentProblem(d: unknown): string | undefined {
  if (!isPlainRecord(d)) return 'deployment is not an object';
  if (typeof d['name'] !== 'string' || d['name'].length === 0) return 'deployment has no name';
  if (typeof d['version'] !== 'number' || !Number.isSafeInteger(d['version'])) return 'deployment has no version';
  if (typeof d['artifactDigest'] !== 'string') return 'deployment has no artifactDigest';
  if (typeof d['createdAt'] !== 'number' || !Number.isFinite(d['createdAt'])) return 'deployment has no createdAt';
  if (d['limits'] !== undefined && !isPlainRecord(d['limits'])) return 'deployment limits are not an object';
  const config = d['config'];
  if (config !== undefined && (!isPlainRecord(config) || Object.values(config).some((v) => typeof v !== 'string')))
    return 'deployment config is not a map of strings';
  // What its fetch may call, and the topics it may subscribe to: checked as a deploy checks them.
  if (d['http'] !== undefined) {
    try {
      resolveHttpPolicy(d['http'] as HttpPolicyInput, 'deployment.http');
    } catch (err) {
      return `deployment http policy is not one a node accepts (${(err as Error).message})`;
    }
  }
  if (d['topics'] !== undefined) {
    try {
      parseTopicPatterns(d['topics'], 'deployment.topics');
    } catch (err) {
      return `deployment topics are not patterns a node accepts (${(err as Error).message})`;
    }
  }
  return undefined;
}

function servicesProblem(s: unknown): string | undefined {
  if (!isPlainRecord(s)) return 'servicesByType is not an object';
  for (const ids of Object.values(s))
    if (!Array.isArray(ids) || ids.some((id) => !isPlainRecord(id) || typeof id['name'] !== 'string'))
      return 'servicesByType is not a map of service types to lists of {name}';
  return undefined;
}
