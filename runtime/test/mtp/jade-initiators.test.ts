/**
 * JADE's own initiators and bursts against Caxton over the FIPA HTTP MTP (decisions 1910, 1951),
 * with a real JADE 4.6.5 platform in its own JVM and real AssemblyScript agents:
 * (1) JADE's stock `jade.proto.ContractNetInitiator` — one cfp per contractor, each its own
 *     reply-with, in one conversation — completes with two Caxton contractors: the protocol
 *     tracker lets the initiator open the conversation towards each of them in turn;
 * (2) a JADE agent with eight requests in flight at once to the Caxton echo gets all eight
 *     informs. JADE 4.6.5 batches four or more messages queued for one receiver into a
 *     "multiple delivery" its HTTP MTP cannot send (the batch has no payload: a
 *     NullPointerException, then "Foreign agent unreachable" failures to the sender); the JADE
 *     platform runs with `-jade_core_messaging_MessageManager_enablemultipledelivery false`, as
 *     docs/interop.md tells JADE operators to.
 * JADE comes from CAXTON_JADE_JAR only; without it this file says how to get JADE and skips.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { freePort } from '../support/ports.js';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { MessageEvent, VerifiedArtifact } from '@caxton/core';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { nodeDefaultHttpPolicy } from '../../src/http/policy.js';
import { startJadePlatform, type JadePlatform } from '../support/jade-platform.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const ECHO = path.join(ROOT, 'examples/as-echo/build/as-echo.wasm');
const AS_CONTRACTOR = path.join(ROOT, 'examples/contract-net/as-contractor/build/cnet-contractor.wasm');
const JADE_JAR = process.env['CAXTON_JADE_JAR'];
const SKIP =
  JADE_JAR === undefined || !existsSync(JADE_JAR)
    ? 'CAXTON_JADE_JAR is not set to a jade.jar: get JADE 4.6.5 (docs/interop.md, "Testing against JADE") and set CAXTON_JADE_JAR to its jade.jar'
    : false;
if (SKIP) console.log(`# skipped: ${SKIP}`);

const JADE_PLATFORM = 'jade-init';
const BURST = 8;

/** JADE's stock contract-net initiator: the cheapest proposal accepted, the others rejected. */
const STOCK_CNET = `
import jade.core.AID;
import jade.core.Agent;
import jade.domain.FIPANames;
import jade.lang.acl.ACLMessage;
import jade.proto.ContractNetInitiator;
import java.util.Date;
import java.util.Enumeration;
import java.util.Vector;
public class StockCnet extends Agent {
  protected void setup() {
    Object[] a = getArguments();
    String acc = (String) a[a.length - 1];
    ACLMessage cfp = new ACLMessage(ACLMessage.CFP);
    for (int i = 0; i < a.length - 1; i++) {
      AID r = new AID((String) a[i], AID.ISGUID);
      r.addAddresses(acc);
      cfp.addReceiver(r);
    }
    cfp.setProtocol(FIPANames.InteractionProtocol.FIPA_CONTRACT_NET);
    cfp.setReplyByDate(new Date(System.currentTimeMillis() + 15000));
    cfp.setContent("crate-7");
    addBehaviour(new ContractNetInitiator(this, cfp) {
      protected void handlePropose(ACLMessage p, Vector v) { System.out.println("STOCK-PROPOSE " + p.getSender().getName() + " " + p.getContent()); }
      protected void handleRefuse(ACLMessage r) { System.out.println("STOCK-REFUSE " + r.getSender().getName() + " " + r.getContent()); }
      protected void handleFailure(ACLMessage f) { System.out.println("STOCK-FAILURE " + f.getSender().getName() + " " + f.getContent()); }
      protected void handleOutOfSequence(ACLMessage m) { System.out.println("STOCK-OUT-OF-SEQUENCE " + m.getSender().getName() + " " + m.getContent()); }
      protected void handleAllResponses(Vector responses, Vector acceptances) {
        ACLMessage best = null;
        for (Enumeration e = responses.elements(); e.hasMoreElements();) {
          ACLMessage m = (ACLMessage) e.nextElement();
          if (m.getPerformative() == ACLMessage.PROPOSE && (best == null || Double.parseDouble(m.getContent()) < Double.parseDouble(best.getContent()))) best = m;
        }
        for (Enumeration e = responses.elements(); e.hasMoreElements();) {
          ACLMessage m = (ACLMessage) e.nextElement();
          if (m.getPerformative() != ACLMessage.PROPOSE) continue;
          ACLMessage reply = m.createReply();
          reply.setPerformative(m == best ? ACLMessage.ACCEPT_PROPOSAL : ACLMessage.REJECT_PROPOSAL);
          reply.setContent("crate-7");
          acceptances.addElement(reply);
        }
        System.out.println("STOCK-RESPONSES " + responses.size());
      }
      protected void handleInform(ACLMessage i) { System.out.println("STOCK-INFORM " + i.getSender().getName() + " " + i.getContent()); }
      public int onEnd() { System.out.println("STOCK-DONE"); return 0; }
    });
  }
}
`;

/** Sends BURST requests at once to the echo and counts what comes back. */
const BURSTER = `
import jade.core.AID;
import jade.core.Agent;
import jade.core.behaviours.CyclicBehaviour;
import jade.lang.acl.ACLMessage;
public class Burster extends Agent {
  private int informs = 0, others = 0;
  protected void setup() {
    Object[] a = getArguments();
    AID echo = new AID((String) a[0], AID.ISGUID);
    echo.addAddresses((String) a[1]);
    int n = Integer.parseInt((String) a[2]);
    for (int i = 0; i < n; i++) {
      ACLMessage m = new ACLMessage(ACLMessage.REQUEST);
      m.addReceiver(echo);
      m.setContent("burst-" + i);
      send(m);
    }
    addBehaviour(new CyclicBehaviour(this) {
      public void action() {
        ACLMessage in = receive();
        if (in == null) { block(); return; }
        if (in.getPerformative() == ACLMessage.INFORM) informs++;
        else { others++; System.out.println("BURST-OTHER " + ACLMessage.getPerformative(in.getPerformative()) + " " + in.getContent()); }
        System.out.println("BURST-COUNT informs=" + informs + " others=" + others);
      }
    });
  }
}
`;

async function artifact(file: string): Promise<VerifiedArtifact> {
  const bytes = new Uint8Array(await readFile(file));
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

describe("JADE's initiators and bursts over the FIPA HTTP MTP", { skip: SKIP }, () => {
  let dir: string;
  let node: RunningNode;
  let jade: JadePlatform | undefined;
  const seen: MessageEvent[] = [];
  let stopTail: (() => void) | undefined;

  /** The first line JADE printed that matches `re`, waiting up to `ms`. */
  const line = async (re: RegExp, ms = 20_000): Promise<string> => (await jade!.out.lineFrom(re, ms)).trim();

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-jade-init-'));
    const sources = [
      ['StockCnet', STOCK_CNET],
      ['Burster', BURSTER],
    ] as const;
    for (const [name, source] of sources) await writeFile(path.join(dir, `${name}.java`), source);
    const javac = spawnSync('javac', ['-cp', JADE_JAR!, '-d', dir, ...sources.map(([name]) => path.join(dir, `${name}.java`))], {
      encoding: 'utf8',
    });
    assert.equal(javac.status, 0, `javac failed: ${javac.stderr}`);
    const [jadeMtpPort, jadeIntraPort] = [await freePort(), await freePort()];
    const jadeAcc = `http://127.0.0.1:${jadeMtpPort}/acc`;
    const secret = randomBytes(32).toString('base64url');
    node = await startNode({
      dataDir: path.join(dir, 'data'),
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'none' },
      api: false,
      shards: 1,
      mtp: { host: '127.0.0.1', port: 0, peers: [{ platform: JADE_PLATFORM, secret, acc: jadeAcc, ratePerSecond: 1000 }] },
    });
    const toJade = { ...nodeDefaultHttpPolicy(), allow: [{ host: '127.0.0.1', ports: [jadeMtpPort], allowPrivate: true }] };
    await node.control.deploy({ name: 'echo', limits: {}, config: {}, http: toJade }, await artifact(ECHO));
    const contractor = await artifact(AS_CONTRACTOR);
    await node.control.deploy({ name: 'cx-a', limits: {}, config: { price: '40' }, http: toJade }, contractor);
    await node.control.deploy({ name: 'cx-b', limits: {}, config: { price: '25' }, http: toJade }, contractor);
    stopTail = node.control.tail({}, { next: (e) => seen.push(e), end: () => {} });
    const capability = `${node.mtpUrl!}/${secret}`;
    jade = startJadePlatform({
      jar: JADE_JAR!,
      dir,
      acc: jadeAcc,
      port: jadeIntraPort,
      platformId: JADE_PLATFORM,
      // JADE's batching of queued messages to one receiver breaks its HTTP MTP (see the header).
      options: ['-jade_core_messaging_MessageManager_enablemultipledelivery', 'false'],
      agents: `stock:StockCnet(cx-a@caxton,cx-b@caxton,${capability});burst:Burster(echo@caxton,${capability},${BURST})`,
    });
  });

  after(async () => {
    stopTail?.();
    await jade?.stop();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("(1) JADE's stock ContractNetInitiator (one cfp per contractor, one conversation) completes with two Caxton contractors", async () => {
    await line(/^STOCK-DONE/);
    const lines = jade!.out.text
      .split('\n')
      .filter((l) => l.startsWith('STOCK-'))
      .map((l) => l.trim());
    assert.deepEqual(
      lines.filter((l) => l.startsWith('STOCK-PROPOSE')).sort(),
      ['STOCK-PROPOSE cx-a@caxton 40', 'STOCK-PROPOSE cx-b@caxton 25'],
      lines.join('\n'),
    );
    assert.ok(lines.includes('STOCK-RESPONSES 2'), lines.join('\n'));
    assert.ok(lines.includes('STOCK-INFORM cx-b@caxton done: crate-7 by cx-b@caxton for 25'), lines.join('\n'));
    assert.ok(!lines.some((l) => /STOCK-(FAILURE|REFUSE|OUT-OF-SEQUENCE)/.test(l)), lines.join('\n'));
    const cfps = seen.filter((e) => e.message.performative === 'cfp' && e.message.sender?.name === `stock@${JADE_PLATFORM}`);
    assert.equal(cfps.length, 2, 'two cfps, one per contractor');
    assert.equal(cfps[0]!.message.conversationId, cfps[1]!.message.conversationId, 'in one conversation');
    assert.notEqual(cfps[0]!.message.replyWith, cfps[1]!.message.replyWith, 'each with its own reply-with');
    assert.ok(
      !seen.some((e) => e.message.sender?.name === 'ams@caxton' && e.message.conversationId === cfps[0]!.message.conversationId),
      'the platform refused nothing',
    );
  });

  it(`(2) ${BURST} requests in flight at once from one JADE agent are all answered`, async () => {
    const last = await line(new RegExp(`^BURST-COUNT informs=${BURST} `));
    assert.equal(
      last,
      `BURST-COUNT informs=${BURST} others=0`,
      jade!.out.text
        .split('\n')
        .filter((l) => l.startsWith('BURST-'))
        .join('\n'),
    );
  });
});
