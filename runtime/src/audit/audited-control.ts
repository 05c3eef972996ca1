/**
 * The node's one audited control surface (decision 1701). Every way into the node that changes
 * something — the gRPC API, the web console, an embedder holding the RunningNode, a later
 * cluster-forwarding path — gets its NodeControl from `as(caller)`, so no path can change the node
 * without its record.
 *
 * Write-ahead: a change's `intent` record is durable (fdatasync'd, or committed by etcd) before the
 * change is attempted; its `outcome` record, pointing at the intent, follows once the change ended.
 * A node that cannot write the intent refuses the change (`audit.unavailable`, UNAVAILABLE) and
 * changes nothing. A crash between the two leaves an intent without outcome, which `caxton audit`
 * shows as "outcome unknown": never a change the trail does not mention.
 *
 * If the outcome cannot be written the change has happened and its intent says so; the caller gets
 * the change's real answer (answering UNAVAILABLE would invite a retry of something already done)
 * and the failure goes to `report`, like the node's other internal failures.
 */
import { hash } from 'node:crypto';
import { RefusedCallRecords } from './refused-call-records.js';
import type { RefusalBudgetLimits } from './refusal-budget.js';
import {
  CaxtonError,
  formatStrategy,
  type AclMessage,
  type AgentStatus,
  type AuditArgs,
  type AuditResult,
  type AuditRole,
  type DeploySpec,
  type FreezeResult,
  type FreezeScope,
  type NodeControl,
  type SendOptions,
  type SendResult,
  type StateImport,
  type StateImportResult,
  type UpgradeResult,
  type UpgradeSpec,
  type VerifiedArtifact,
  type EdgeTicket,
  type DeadLetterSelection,
  type PurgeResult,
  type RedriveRequest,
  type RedriveResult,
} from '@caxton/core';
import type { AuditTrail } from './audit-trail.js';
import { AuditError } from './errors.js';
import { thresholdFields } from './unended-rollouts.js';

/** Who asks for a change, and from where. */
export interface AuditCaller {
  role: AuditRole;
  /** A short fingerprint of the bearer token ('' when none): which token, never the token. */
  token: string;
  /** Where the call came from (`ipv4:10.0.0.7:53412`, `console 10.0.0.7:53412`, `in-process`). */
  peer: string;
  /** The change set the client named for the call (`caxton apply`), recorded on each of its records. */
  changeSet?: string;
}

/** The caller of changes made through the RunningNode object itself (an embedder, a test). */
export const IN_PROCESS_CALLER: AuditCaller = Object.freeze({ role: 'admin', token: '', peer: 'in-process' });

/** What a change is, for its intent record: its operation and a fingerprint of its arguments. */
export interface AuditedCall<T = unknown> {
  /** Named as the RPC is (`DeployAgent`), whatever surface the change came through. */
  method: string;
  args: AuditArgs;
  /** What of a successful change's value the outcome record names (a send's message id). */
  produced?: (value: T) => Record<string, string>;
  /**
   * The intent is durable before the change, but its anchor is written behind it and awaited with
   * the outcome's (decision 2196): for sends, the traffic path, where the anchor's write was half
   * of an outside request's latency. Every other change is attempted only once its intent is anchored.
   */
  anchorIntentLater?: boolean;
}

export interface AuditedControlOptions {
  control: NodeControl;
  trail: AuditTrail;
  nodeId: string;
  /** Failures that must not change a call's answer (an outcome record that could not be written). */
  report: (err: unknown, what: string) => void;
  now?: () => number;
  /**
   * Edge admission of a send, before its intent is written (decision 1810): a node past its limit
   * refuses at once, without an audit write per refused message; an admitted send holds a ticket.
   */
  admitSend?: (message: AclMessage, lane: 'client' | 'operator') => EdgeTicket;
  /** Default DEFAULT_REFUSAL_BUDGET (refusal-budget.ts). */
  refusalBudget?: RefusalBudgetLimits;
}

/** `OK`, or the status name of the failure's kind (`not-found` → `NOT_FOUND`), as the API sends it. */
export function resultOf(err: unknown): AuditResult {
  if (err === undefined) return { code: 'OK', error: '' };
  if (err instanceof CaxtonError) return { code: err.kind.toUpperCase().replace(/-/g, '_'), error: err.code };
  return { code: 'INTERNAL', error: '' };
}

/** JSON of the arguments; Uint8Arrays as base64 so payloads count as what they are. */
function argsJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)) ?? '';
}

/**
 * The arguments' digest and size, and the few fields safe to show (names, never config or payloads).
 * `json`: the arguments' JSON when the caller has it without the replacer (a message holds text only).
 */
export function auditArgs(args: unknown, fields: Record<string, string | boolean | undefined>, json = argsJson(args)): AuditArgs {
  const shown: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') shown[k] = String(v).slice(0, 512);
  return { sha256: hash('sha256', json, 'hex'), bytes: Buffer.byteLength(json, 'utf8'), fields: shown };
}

export class AuditedControl {
  readonly trail: AuditTrail;
  private readonly now: () => number;

  readonly admitSend: AuditedControlOptions['admitSend'];

  /** Calls refused for their credentials, every ingress's: recorded up to each source's budget, then counted. */
  readonly refusals: RefusedCallRecords;

  constructor(private readonly o: AuditedControlOptions) {
    this.admitSend = o.admitSend;
    this.trail = o.trail;
    this.now = o.now ?? Date.now;
    this.refusals = new RefusedCallRecords({
      append: (entry) => this.trail.append(entry),
      nodeId: o.nodeId,
      report: o.report,
      now: this.now,
      ...(o.refusalBudget ? { limits: o.refusalBudget } : {}),
    });
  }

  /** Writes the refusal summaries still owed: before the trail closes. */
  close(): Promise<void> {
    return this.refusals.close();
  }

  /** The node's control, every change of it recorded as `caller`'s. */
  as(caller: AuditCaller): NodeControl {
    return new CallerControl(this, this.o.control, caller);
  }

  /**
   * Write-ahead: the intent durable, then `effect`, then its outcome. Throws `audit.unavailable`
   * without running `effect` when the intent cannot be written.
   */
  async change<T>(caller: AuditCaller, call: AuditedCall<T>, effect: () => Promise<T>): Promise<T> {
    const common = this.common(caller, call.method);
    let intent;
    try {
      const refused = this.trail.failed;
      if (refused) throw refused;
      intent = await this.trail.append(
        { kind: 'intent', time: this.time(), ...common, args: call.args },
        call.anchorIntentLater === true ? { anchor: 'later' } : undefined,
      );
    } catch (err) {
      throw new AuditError('audit.unavailable', `${call.method} refused: the audit trail cannot record it (${(err as Error).message})`, {
        context: { method: call.method, trail: this.trail.location },
        hint: "nothing was changed; fix what the node's log reports about its audit trail (disk full, I/O error, etcd unreachable), then retry",
        cause: err,
      });
    }
    let failure: unknown;
    let value: T | undefined;
    try {
      value = await effect();
    } catch (err) {
      failure = err ?? new Error('the change failed');
    }
    const result = resultOf(failure);
    if (failure === undefined && call.produced !== undefined) result.fields = call.produced(value as T);
    try {
      await this.trail.append({
        kind: 'outcome',
        time: this.time(),
        ...common,
        intent: { index: intent.index, hash: intent.hash },
        result,
      });
    } catch (err) {
      this.o.report(err, `${call.method} (audit: outcome of record ${intent.index})`);
      // No outcome to wait for an anchor: the intent written ahead of its anchor is covered now,
      // before the answer (decision 2196).
      if (call.anchorIntentLater === true) await this.trail.anchorCovering?.(intent).catch(() => undefined);
    }
    if (failure !== undefined) throw failure;
    return value as T;
  }

  /**
   * A call refused before it reached the node (its credentials, or the ingress's own checks): one
   * `call` record, since nothing was attempted, up to its source's budget, then counted
   * (refused-call-records.ts), by kind: the error's code, with `detail` where the ingress tells
   * refusals of one code apart (the MTP: which signature fault). `knownPeer` names a peer the
   * ingress authenticated by other means (the MTP's peer platform, by its URL secret), counted
   * apart. Resolves once it is durable or counted; rejects if it cannot be written (the caller is
   * refused either way).
   */
  async refused(caller: AuditCaller, call: AuditedCall, err: unknown, from: { knownPeer?: string; detail?: string } = {}): Promise<void> {
    // A caller without a token chooses how many refusals there are: bounded per source (its
    // address; a token that authenticated and was denied, that token; a known peer, that peer).
    const denied = caller.role !== 'none' && err instanceof CaxtonError && err.kind === 'permission-denied';
    const code = err instanceof CaxtonError ? err.code : resultOf(err).code;
    const admitted = this.refusals.admit(
      caller.peer,
      denied ? { token: caller.token, role: caller.role } : from.knownPeer !== undefined ? { peer: from.knownPeer } : undefined,
      from.detail === undefined ? code : `${code} (${from.detail})`,
    );
    if (admitted === undefined) return;
    const args = admitted.suppressed === undefined ? call.args : { ...call.args, fields: { ...call.args.fields, ...admitted } };
    await this.trail.append({ time: this.time(), ...this.common(caller, call.method), args, result: resultOf(err) });
  }

  /** What every record of `caller`'s call says besides its time: this node, the method, who, from where, its change set. */
  private common(caller: AuditCaller, method: string) {
    return {
      node: this.o.nodeId,
      method,
      role: caller.role,
      token: caller.token,
      peer: caller.peer,
      ...(caller.changeSet !== undefined ? { changeSet: caller.changeSet } : {}),
    };
  }

  /** The last record's time, kept: records of one millisecond (most, under load) share its text. */
  private lastTime = { ms: Number.NaN, iso: '' };

  private time(): string {
    const ms = this.now();
    if (ms !== this.lastTime.ms) this.lastTime = { ms, iso: new Date(ms).toISOString() };
    return this.lastTime.iso;
  }
}

/**
 * A send's outcome names its message: with an idempotency key, every retry's outcome names the
 * first send's id, so the trail shows one message however often the client asked.
 */
function sentMessage(result: SendResult): Record<string, string> {
  return { messageId: result.messageId, accepted: String(result.accepted.length) };
}

/** The fields a dead-letter selection shows: the agent, or the ids (capped, like every shown field). */
function selectionFields(select: DeadLetterSelection): Record<string, string> {
  return 'agent' in select ? { agent: select.agent } : { ids: select.ids.join(',') };
}

/**
 * A redrive's outcome names what was sent again: each letter and the delivery it went as (the same
 * for a repeated redrive, so the trail shows one delivery however often it was asked).
 */
function redrivenLetters(result: RedriveResult): Record<string, string> {
  return { redriven: String(result.redriven.length), deliveries: result.redriven.map((r) => `${r.id}=>${r.deliveryId}`).join(',') };
}

function purgedLetters(result: PurgeResult): Record<string, string> {
  return { purged: String(result.purged.length), ids: result.purged.join(',') };
}

/** NodeControl for one caller: reads pass through, each change goes through AuditedControl.change. */
class CallerControl implements NodeControl {
  constructor(
    private readonly audit: AuditedControl,
    private readonly inner: NodeControl,
    private readonly caller: AuditCaller,
  ) {}

  private change<T>(
    method: string,
    args: AuditArgs,
    effect: () => Promise<T>,
    produced?: (value: T) => Record<string, string>,
  ): Promise<T> {
    return this.audit.change(this.caller, { method, args, ...(produced !== undefined ? { produced } : {}) }, effect);
  }

  /** A send's change: its intent anchored with its outcome (decision 2196). */
  private sendChange(
    message: AclMessage,
    fields: Record<string, string | undefined>,
    effect: () => Promise<SendResult>,
  ): Promise<SendResult> {
    return this.audit.change(
      this.caller,
      { method: 'SendMessage', args: auditArgs(message, fields, JSON.stringify(message)), produced: sentMessage, anchorIntentLater: true },
      effect,
    );
  }

  deploy(spec: DeploySpec, artifact: VerifiedArtifact): Promise<AgentStatus> {
    const args = auditArgs(
      { spec, artifact: { sha256: artifact.sha256, size: artifact.bytes.length, signed: artifact.signature !== undefined } },
      { agent: spec.name, artifact: artifact.sha256 },
    );
    return this.change('DeployAgent', { ...args, bytes: artifact.bytes.length }, () => this.inner.deploy(spec, artifact));
  }

  upgrade(spec: UpgradeSpec, artifact: VerifiedArtifact): Promise<UpgradeResult> {
    const args = auditArgs(
      { spec, artifact: { sha256: artifact.sha256, size: artifact.bytes.length, signed: artifact.signature !== undefined } },
      {
        agent: spec.name,
        artifact: artifact.sha256,
        ...(spec.strategy !== undefined ? { strategy: formatStrategy(spec.strategy), ...thresholdFields(spec.thresholds) } : {}),
        // An upgrade that replayed recorded traffic first (issue 57): what span, and what it let through.
        ...(spec.replay !== undefined
          ? {
              replay: spec.replay.handlings !== undefined ? `${spec.replay.handlings} handlings` : `${spec.replay.sinceMs} ms`,
              acceptDiff: spec.replay.accept.join(',') || 'none',
            }
          : {}),
      },
    );
    return this.change('UpgradeAgent', { ...args, bytes: artifact.bytes.length }, () => this.inner.upgrade(spec, artifact));
  }

  rollback(name: string): Promise<UpgradeResult> {
    return this.change(
      'RollbackAgent',
      auditArgs({ name }, { agent: name }),
      () => this.inner.rollback(name),
      (r) => ({ version: String(r.agent.version), previousVersion: String(r.previousVersion) }),
    );
  }

  stop(name: string, options: { force: boolean; keepQueue?: boolean }): Promise<AgentStatus> {
    return this.change(
      'StopAgent',
      auditArgs({ name, options }, { agent: name, force: options.force, ...(options.keepQueue === true ? { keepQueue: true } : {}) }),
      () => this.inner.stop(name, options),
    );
  }

  async send(message: AclMessage, options?: SendOptions): Promise<SendResult> {
    const key = options?.idempotency?.key;
    const fields = {
      performative: message.performative,
      receivers: message.receivers.map((r) => r.name).join(','),
      sender: message.sender?.name,
      ...(key !== undefined ? { idempotencyKey: key } : {}),
    };
    const admit = this.audit.admitSend;
    if (admit === undefined) return this.sendChange(message, fields, () => this.inner.send(message, options));
    // Refused at the edge: nothing was attempted and nothing changed, so nothing is recorded — an
    // overloaded node must not spend an audit write on every message it turns away.
    const admitted = admit(message, options?.lane ?? 'client');
    try {
      return await this.sendChange(message, fields, () => this.inner.send(message, { ...options, admitted }));
    } finally {
      admitted.release();
    }
  }

  importState(spec: StateImport): Promise<StateImportResult> {
    const fields = { agent: spec.agent, replace: spec.replace, writes: String(spec.writes.length) };
    return this.change('ImportState', auditArgs(spec, fields), () => this.inner.importState(spec));
  }

  freeze(scope: FreezeScope): Promise<FreezeResult> {
    return this.change('Freeze', auditArgs({ scope }, { scope }), () => this.inner.freeze(scope));
  }

  thaw(scope: FreezeScope): Promise<FreezeResult> {
    return this.change('Thaw', auditArgs({ scope }, { scope }), () => this.inner.thaw(scope));
  }

  suspend(name: string): Promise<AgentStatus> {
    return this.change('SuspendAgent', auditArgs({ name }, { agent: name }), () => this.inner.suspend(name));
  }

  resume(name: string): Promise<AgentStatus> {
    return this.change('ResumeAgent', auditArgs({ name }, { agent: name }), () => this.inner.resume(name));
  }

  scale(name: string, replicas: number): Promise<AgentStatus> {
    return this.change('ScaleAgent', auditArgs({ name, replicas }, { agent: name, replicas: String(replicas) }), () =>
      this.inner.scale(name, replicas),
    );
  }

  redriveDeadLetters(request: RedriveRequest): Promise<RedriveResult> {
    const fields = { ...selectionFields(request.select), to: request.to };
    return this.change('RedriveDeadLetters', auditArgs(request, fields), () => this.inner.redriveDeadLetters(request), redrivenLetters);
  }

  purgeDeadLetters(select: DeadLetterSelection): Promise<PurgeResult> {
    return this.change(
      'PurgeDeadLetters',
      auditArgs(select, selectionFields(select)),
      () => this.inner.purgeDeadLetters(select),
      purgedLetters,
    );
  }

  // Reads: nothing changes, nothing is recorded here (the API records reads when asked to).
  listAgents: NodeControl['listAgents'] = () => this.inner.listAgents();
  getAgent: NodeControl['getAgent'] = (name) => this.inner.getAgent(name);
  conversationCosts: NodeControl['conversationCosts'] = (query) => this.inner.conversationCosts(query);
  // Runs agent code offline and changes nothing: a read, not audited (as getAgent).
  replayConversation: NodeControl['replayConversation'] = (agent, conversationId) => this.inner.replayConversation(agent, conversationId);
  tail: NodeControl['tail'] = (filter, sink) => this.inner.tail(filter, sink);
  logs: NodeControl['logs'] = (query, sink) => this.inner.logs(query, sink);
  searchDirectory: NodeControl['searchDirectory'] = (template, limit) => this.inner.searchDirectory(template, limit);
  listSubscriptions: NodeControl['listSubscriptions'] = (topic) => this.inner.listSubscriptions(topic);
  status: NodeControl['status'] = () => this.inner.status();
  health: NodeControl['health'] = () => this.inner.health();
  getState: NodeControl['getState'] = (agent, key) => this.inner.getState(agent, key);
  listState: NodeControl['listState'] = (agent, query) => this.inner.listState(agent, query);
  exportState: NodeControl['exportState'] = (agent, sink) => this.inner.exportState(agent, sink);
  listDeadLetters: NodeControl['listDeadLetters'] = (query) => this.inner.listDeadLetters(query);
  getDeadLetter: NodeControl['getDeadLetter'] = (id) => this.inner.getDeadLetter(id);
}
