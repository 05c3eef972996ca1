/**
 * Decision 2196 over the real file trail and the real embedded registry, with the registry's
 * anchor writes held at a gate: a send's change runs once its intent is durable, before any anchor
 * covers it, and the send is answered only once an anchor covers its outcome (so its intent too);
 * every other change (a deploy) still waits for its intent's anchor before it runs.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  decodeSignedCheckpoint,
  type AclMessage,
  type AgentStatus,
  type DeploySpec,
  type SendResult,
  type VerifiedArtifact,
} from '@caxton/core';
import type { AuditAnchorStore } from '../../src/audit/anchor-store.js';
import { AnchoredAuditTrail } from '../../src/audit/anchored-audit-trail.js';
import { ensureAuditKey } from '../../src/audit/audit-key.js';
import { sha256Hex } from '../../src/audit/audit-trail.js';
import { AuditedControl, IN_PROCESS_CALLER } from '../../src/audit/audited-control.js';
import { FileAuditTrail } from '../../src/audit/file-audit-trail.js';
import { EmbeddedRegistry } from '../../src/registry/embedded/embedded-registry.js';
import { MemoryNode } from '../api/support/memory-node.js';
import { tempDir } from '../api/support/harness.js';

/** The real registry's anchor store, its writes held while the gate is shut. */
class GatedAnchors implements AuditAnchorStore {
  private opened: Promise<void> = Promise.resolve();
  private open: () => void = () => {};
  constructor(private readonly registry: EmbeddedRegistry) {}

  shut(): void {
    this.opened = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open();
  }

  readAuditAnchor(): Promise<string | undefined> {
    return this.registry.readAuditAnchor();
  }

  /** Writes that fail once the gate opens, before any is stored. */
  failing = 0;

  async writeAuditAnchor(anchor: string): Promise<void> {
    await this.opened;
    if (this.failing > 0) {
      this.failing -= 1;
      throw new Error('registry unavailable');
    }
    await this.registry.writeAuditAnchor(anchor);
  }

  async anchoredIndex(): Promise<number> {
    const stored = await this.registry.readAuditAnchor();
    return stored === undefined ? -1 : decodeSignedCheckpoint(stored).checkpoint.index;
  }
}

/** A MemoryNode that notes, as each change starts, how far the stored anchor reaches. */
class WatchedNode extends MemoryNode {
  readonly anchoredAt: Record<string, number> = {};
  private sendStarts: () => void = () => {};
  /** Resolves when a send begins. */
  readonly sendStarted = new Promise<void>((resolve) => {
    this.sendStarts = resolve;
  });
  constructor(private readonly anchors: GatedAnchors) {
    super();
  }

  override async deploy(spec: DeploySpec, a: VerifiedArtifact): Promise<AgentStatus> {
    this.anchoredAt.deploy = await this.anchors.anchoredIndex();
    return super.deploy(spec, a);
  }

  override async send(message: AclMessage): Promise<SendResult> {
    this.anchoredAt.send = await this.anchors.anchoredIndex();
    this.sendStarts();
    return super.send(message);
  }
}

const settledWithin = <T>(p: Promise<T>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

describe('a send is attempted once its intent is durable, and answered once it is anchored (decision 2196)', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers.reverse()) await close();
  });

  /** A real file trail anchored in a real registry behind the gate; what it reports goes to `reported`. */
  async function openGated(reported: string[] = []): Promise<{ trail: AnchoredAuditTrail; anchors: GatedAnchors }> {
    const dir = await tempDir('caxton-send-anchor-');
    const registry = new EmbeddedRegistry({ dir: path.join(dir, 'registry') });
    await registry.open();
    closers.push(() => registry.close());
    const anchors = new GatedAnchors(registry);
    const file = await FileAuditTrail.open({ dir: path.join(dir, 'audit') });
    const trail = await AnchoredAuditTrail.open({
      trail: file,
      anchors,
      key: await ensureAuditKey(dir),
      nodeId: 'n1',
      report: (_err, what) => reported.push(what),
    });
    closers.push(() => trail.close());
    return { trail, anchors };
  }

  it('runs the send behind the gate, answers it only after the gate opens, with the anchor past its outcome; a deploy waits', async () => {
    const { trail, anchors } = await openGated();
    const node = new WatchedNode(anchors);
    const control = new AuditedControl({ control: node, trail, nodeId: 'n1', report: () => {} }).as(IN_PROCESS_CALLER);
    const bytes = Buffer.from('component');
    await control.deploy({ name: 'echo', limits: {}, config: {} }, { bytes, sha256: sha256Hex(bytes) });
    const before = await anchors.anchoredIndex();
    assert.equal(node.anchoredAt.deploy, 0, 'the deploy ran once its intent (record 0) was anchored');

    anchors.shut();
    const sent = control.send({ performative: 'inform', receivers: [{ name: 'echo' }], content: 'hi' });
    // The change runs while no anchor can be written; its answer waits for one.
    await node.sendStarted;
    assert.equal(await settledWithin(sent, 300), false, 'a send is not answered before its records are anchored');
    assert.equal(node.anchoredAt.send, before, 'the send ran with its intent durable and not yet anchored');
    const deployed = control.deploy({ name: 'other', limits: {}, config: {} }, { bytes, sha256: sha256Hex(bytes) });
    assert.equal(await settledWithin(deployed, 300), false);
    assert.equal(node.anchoredAt.deploy, 0, 'a deploy does not run before its intent is anchored');
    anchors.release();
    const result = await sent;
    assert.ok(result.messageId);
    await deployed;
    // intent 2 and outcome 3 of the send, intent 4 and outcome 5 of the second deploy
    assert.ok((await anchors.anchoredIndex()) >= 5);
    assert.ok(node.anchoredAt.deploy >= 4, 'the second deploy ran once its intent was anchored');
  });

  it("an append whose awaited anchor write was another record's, and failed, writes one for itself", async () => {
    const reported: string[] = [];
    const { trail, anchors } = await openGated(reported);
    const entry = { time: new Date(0).toISOString(), node: 'n1', method: 'SendMessage', role: 'admin' as const, token: '', peer: 'test' };
    const args = { sha256: '0'.repeat(64), bytes: 0, fields: {} };
    anchors.shut();
    const intent = await trail.append({ ...entry, kind: 'intent', args }, { anchor: 'later' }); // its anchor write waits at the gate
    const outcome = trail.append({
      ...entry,
      kind: 'outcome',
      intent: { index: intent.index, hash: intent.hash },
      result: { code: 'OK', error: '' },
    });
    anchors.failing = 1;
    anchors.release();
    const record = await outcome;
    assert.ok((await anchors.anchoredIndex()) >= record.index, 'the outcome is answered with an anchor covering it');
    // The failed write was the intent's own (reported as such); the outcome's is not a failure.
    assert.ok(!reported.some((w) => w.includes(`record ${record.index}`)), reported.join('; '));
  });
});
