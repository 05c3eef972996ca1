/**
 * The FIPA HTTP MTP (decision 1910) against a real JADE 4.6.5 platform in its own JVM, its HTTP
 * MTP on loopback, and real WASM agents (examples/as-echo) on a real node:
 * (1) a JADE agent sends `request` to a Caxton echo over HTTP MTP and receives the `inform`;
 * (2) a Caxton agent sends to a JADE agent, over its deployment's egress rules, and gets its reply;
 *     without egress rules for the peer's ACC the send comes back to it as a FIPA `failure`;
 * (3) an unauthenticated, an oversized and an impersonating post are refused, typed, and audited.
 * JADE comes from CAXTON_JADE_JAR only; without it this file says how to get JADE and skips.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { freePort } from '../support/ports.js';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CaxtonClient } from '@caxton/client';
import { decodeRecord, type AuditRecord, type MessageEvent } from '@caxton/core';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { startJadePlatform, type JadePlatform } from '../support/jade-platform.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const ECHO = path.join(ROOT, 'examples/as-echo/build/as-echo.wasm');
const AS_CONTRACTOR = path.join(ROOT, 'examples/contract-net/as-contractor/build/cnet-contractor.wasm');
const JS_CONTRACTOR = path.join(ROOT, 'examples/contract-net/js-contractor/build/cnet-js-contractor.wasm');
const JADE_JAR = process.env['CAXTON_JADE_JAR'];
const SKIP =
  JADE_JAR === undefined || !existsSync(JADE_JAR)
    ? 'CAXTON_JADE_JAR is not set to a jade.jar: get JADE 4.6.5 (docs/interop.md, "Testing against JADE") and set CAXTON_JADE_JAR to its jade.jar'
    : false;
if (SKIP) console.log(`# skipped: ${SKIP}`);

const JADE_PLATFORM = 'jade-it';

/** A JADE agent that sends one `request` to the AID its arguments give, and prints what comes back. */
const PINGER = `
import jade.core.AID;
import jade.core.Agent;
import jade.core.behaviours.CyclicBehaviour;
import jade.lang.acl.ACLMessage;
public class CaxtonPinger extends Agent {
  protected void setup() {
    Object[] a = getArguments();
    AID echo = new AID((String) a[0], AID.ISGUID);
    echo.addAddresses((String) a[1]);
    ACLMessage m = new ACLMessage(ACLMessage.REQUEST);
    m.addReceiver(echo);
    m.setContent("hello from \\"jade\\"");
    m.setConversationId("jade-conv-1");
    m.setReplyWith("jade-rw-1");
    send(m);
    addBehaviour(new CyclicBehaviour(this) {
      public void action() {
        ACLMessage in = receive();
        if (in == null) { block(); return; }
        System.out.println("PINGER-GOT " + ACLMessage.getPerformative(in.getPerformative()) + " " + in.getSender().getName()
          + " conv=" + in.getConversationId() + " irt=" + in.getInReplyTo() + " content=" + in.getContent());
      }
    });
  }
}
`;

/** A JADE agent that answers any message whose content is not a reply already with an `inform` "reply:<content>". */
const PONG = `
import jade.core.Agent;
import jade.core.behaviours.CyclicBehaviour;
import jade.lang.acl.ACLMessage;
public class Pong extends Agent {
  protected void setup() {
    addBehaviour(new CyclicBehaviour(this) {
      public void action() {
        ACLMessage in = receive();
        if (in == null) { block(); return; }
        System.out.println("PONG-GOT " + ACLMessage.getPerformative(in.getPerformative()) + " " + in.getSender().getName() + " content=" + in.getContent());
        if (in.getContent() != null && in.getContent().startsWith("reply:")) return;
        ACLMessage r = in.createReply();
        r.setPerformative(ACLMessage.INFORM);
        r.setContent("reply:" + in.getContent());
        send(r);
      }
    });
  }
}
`;

/**
 * A JADE contract-net initiator: one cfp to all the Caxton contractors its arguments name, the
 * cheapest proposal accepted and the others rejected once all have answered, each step printed.
 * One cfp to all; jade.proto.ContractNetInitiator, which sends each contractor its own cfp (its
 * own reply-with) in one conversation, is jade-initiators.test.ts's (decision 1951).
 */
const CNET_INITIATOR = `
import jade.core.AID;
import jade.core.Agent;
import jade.core.behaviours.CyclicBehaviour;
import jade.domain.FIPANames;
import jade.lang.acl.ACLMessage;
import jade.lang.acl.MessageTemplate;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
public class CnetInitiator extends Agent {
  private final List<ACLMessage> proposals = new ArrayList<>();
  private int answers = 0;
  private int expected = 0;
  protected void setup() {
    Object[] a = getArguments();
    String acc = (String) a[a.length - 1];
    ACLMessage cfp = new ACLMessage(ACLMessage.CFP);
    for (int i = 0; i < a.length - 1; i++) {
      AID r = new AID((String) a[i], AID.ISGUID);
      r.addAddresses(acc);
      cfp.addReceiver(r);
      expected++;
    }
    cfp.setProtocol(FIPANames.InteractionProtocol.FIPA_CONTRACT_NET);
    cfp.setConversationId("jade-cnet-1");
    cfp.setReplyWith("jade-cfp-1");
    cfp.setReplyByDate(new Date(System.currentTimeMillis() + 15000));
    cfp.setContent("parcel-42");
    send(cfp);
    final MessageTemplate mine = MessageTemplate.MatchConversationId("jade-cnet-1");
    addBehaviour(new CyclicBehaviour(this) {
      public void action() {
        ACLMessage in = receive(mine);
        if (in == null) { block(); return; }
        int p = in.getPerformative();
        if (p == ACLMessage.PROPOSE || p == ACLMessage.REFUSE) {
          System.out.println("CNET-RESPONSE " + ACLMessage.getPerformative(p) + " " + in.getSender().getName() + " " + in.getContent());
          if (p == ACLMessage.PROPOSE) proposals.add(in);
          if (++answers < expected) return;
          ACLMessage best = null;
          for (ACLMessage m : proposals) if (best == null || Double.parseDouble(m.getContent()) < Double.parseDouble(best.getContent())) best = m;
          for (ACLMessage m : proposals) {
            ACLMessage reply = m.createReply();
            reply.setPerformative(m == best ? ACLMessage.ACCEPT_PROPOSAL : ACLMessage.REJECT_PROPOSAL);
            reply.setContent("parcel-42");
            send(reply);
          }
        } else if (p == ACLMessage.INFORM) {
          System.out.println("CNET-INFORM " + in.getSender().getName() + " " + in.getContent());
          System.out.println("CNET-DONE 1");
        } else {
          System.out.println("CNET-" + ACLMessage.getPerformative(p) + " " + in.getSender().getName() + " " + in.getContent());
        }
      }
    });
  }
}
`;

describe('FIPA HTTP MTP with a real JADE platform', { skip: SKIP }, () => {
  let dir: string;
  let node: RunningNode;
  let api: CaxtonClient;
  let jade: JadePlatform | undefined;
  const secret = randomBytes(32).toString('base64url');
  let jadeAcc: string;
  let capability: string;
  const seen: MessageEvent[] = [];
  let stopTail: (() => void) | undefined;

  const until = async (what: string, pred: (e: MessageEvent) => boolean, ms = 15_000): Promise<MessageEvent> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = seen.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline)
        throw new Error(
          `no ${what} on the tail within ${ms} ms; saw:\n${seen.map((e) => `${e.message.performative} ${e.message.sender?.name} -> ${e.message.receivers.map((r) => r.name).join(',')}: ${e.message.content}`).join('\n')}`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-mtp-'));
    const sources = [
      ['CaxtonPinger', PINGER],
      ['Pong', PONG],
      ['CnetInitiator', CNET_INITIATOR],
    ] as const;
    for (const [name, source] of sources) await writeFile(path.join(dir, `${name}.java`), source);
    const javac = spawnSync('javac', ['-cp', JADE_JAR!, '-d', dir, ...sources.map(([name]) => path.join(dir, `${name}.java`))], {
      encoding: 'utf8',
    });
    assert.equal(javac.status, 0, `javac failed: ${javac.stderr}`);
    const [jadeMtpPort, jadeIntraPort] = [await freePort(), await freePort()];
    jadeAcc = `http://127.0.0.1:${jadeMtpPort}/acc`;

    node = await startNode({
      dataDir: path.join(dir, 'data'),
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'token' },
      shards: 1,
      mtp: {
        host: '127.0.0.1',
        port: 0,
        peers: [{ platform: JADE_PLATFORM, secret, acc: jadeAcc, ratePerSecond: 200 }],
        retry: { attempts: 2, firstDelayMs: 50 },
        maxBodyBytes: 256 * 1024,
      },
    });
    capability = `${node.mtpUrl!}/${secret}`;
    api = await CaxtonClient.connect({
      address: `127.0.0.1:${node.apiPort}`,
      token: await readTokenFile(tokenFilePath(path.join(dir, 'data'))),
    });
    const echo = await readFile(ECHO);
    // The echo may post to the JADE ACC only: its egress rules are the allow-list of its HTTP calls.
    await api.deploy({ name: 'echo', http: { allow: [{ host: '127.0.0.1', ports: [jadeMtpPort], allowPrivate: true }] } }, echo);
    await api.deploy({ name: 'sealed' }, echo);
    // Contractors in two languages, each with a fixed price, each allowed to answer the JADE ACC.
    const toJade = { allow: [{ host: '127.0.0.1', ports: [jadeMtpPort], allowPrivate: true }] };
    await api.deploy({ name: 'cx-as', config: { price: '40' }, http: toJade }, await readFile(AS_CONTRACTOR));
    await api.deploy({ name: 'cx-js', config: { price: '25' }, http: toJade }, await readFile(JS_CONTRACTOR));
    stopTail = node.control.tail({}, { next: (e) => seen.push(e), end: () => {} });

    // JADE writes APDescription.txt and MTPs-*.txt into its working directory (dir).
    jade = startJadePlatform({
      jar: JADE_JAR!,
      dir,
      acc: jadeAcc,
      port: jadeIntraPort,
      platformId: JADE_PLATFORM,
      agents: `ping:CaxtonPinger(echo@caxton,${capability});pong:Pong;cnet:CnetInitiator(cx-as@caxton,cx-js@caxton,${capability})`,
    });
  });

  after(async () => {
    stopTail?.();
    await jade?.stop();
    api?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("(1) a JADE agent's request reaches the Caxton echo over HTTP MTP, and the echo's inform reaches JADE", async () => {
    const line = await jade!.out.lineFrom(/^PINGER-GOT /, 20_000);
    assert.equal(line.trim(), 'PINGER-GOT INFORM echo@caxton conv=jade-conv-1 irt=jade-rw-1 content=hello from "jade"');
    const request = await until(
      'the JADE request',
      (e) => e.message.performative === 'request' && e.message.sender?.name === `ping@${JADE_PLATFORM}`,
    );
    assert.deepEqual(
      request.message.receivers.map((r) => r.name),
      ['echo@caxton'],
    );
  });

  it('(2) a Caxton agent sends to a JADE agent and gets its reply; without egress rules for that ACC it gets a failure', async () => {
    await node.control.send({
      performative: 'request',
      receivers: [{ name: 'echo' }],
      content: 'ping from caxton',
      conversationId: 'cx-to-jade',
      replyTo: [{ name: `pong@${JADE_PLATFORM}`, addresses: [jadeAcc] }],
    });
    assert.match(await jade!.out.lineFrom(/^PONG-GOT INFORM echo@caxton /, 15_000), /content=ping from caxton$/);
    const answer = await until(
      'the JADE reply',
      (e) => e.message.sender?.name === `pong@${JADE_PLATFORM}` && e.message.content === 'reply:ping from caxton',
    );
    assert.equal(answer.message.performative, 'inform');
    assert.deepEqual(
      answer.message.receivers.map((r) => r.name),
      ['echo@caxton'],
    );
    assert.equal(answer.message.conversationId, 'cx-to-jade');

    const dropped = new Promise<void>((resolve) => {
      const off = node.events.on(
        (e) => {
          if (e.type === 'dropped' && e.message.conversationId === 'cx-sealed') {
            off();
            resolve();
          }
        },
        ['dropped'],
      );
    });
    await node.control.send({
      performative: 'request',
      receivers: [{ name: 'sealed' }],
      content: 'no way out',
      conversationId: 'cx-sealed',
      replyTo: [{ name: `pong@${JADE_PLATFORM}`, addresses: [jadeAcc] }],
    });
    const failure = await until('the failure', (e) => e.message.performative === 'failure' && e.message.conversationId === 'cx-sealed');
    assert.equal(failure.message.sender?.name, 'ams@caxton');
    assert.deepEqual(
      failure.message.receivers.map((r) => r.name),
      ['sealed@caxton'],
    );
    assert.match(failure.message.content ?? '', /sealed's deployment allows no HTTP/);
    assert.equal(failure.message.userParams?.['X-caxton-failure'], 'mtp-delivery');
    assert.doesNotMatch(jade!.out.text, /no way out/);
    // The echo answers the failure to ams@caxton, which takes no messages: dropped, not failed again (no loop).
    await until(
      'the echo of the failure',
      (e) => e.message.conversationId === 'cx-sealed' && e.message.receivers.some((r) => r.name === 'ams@caxton'),
    );
    await dropped;
    assert.equal(seen.filter((e) => e.message.conversationId === 'cx-sealed' && e.message.performative === 'failure').length, 1);
  });

  it('(3) unauthenticated, oversized and impersonating posts are refused with typed errors and audited', async () => {
    const post = (url: string, body: string, contentType = 'multipart/mixed ; boundary="b"'): Promise<Response> =>
      fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
    const before = (await audit()).length;
    const anon = await post(`${node.mtpUrl!}/not-a-secret-of-any-peer`, 'x');
    assert.equal(anon.status, 401);
    assert.equal(((await anon.json()) as { code: string }).code, 'mtp.unauthenticated');
    const big = await post(capability, 'x'.repeat(300 * 1024));
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { code: string }).code, 'mtp.body-too-large');
    // A peer speaks for its own agents only: a sender on another platform is refused.
    const envelope =
      '<?xml version="1.0"?><envelope><params index="1"><to><agent-identifier><name>echo@caxton</name></agent-identifier></to>' +
      '<acl-representation>fipa.acl.rep.string.std</acl-representation></params></envelope>';
    const forged = `--b\r\nContent-Type: application/xml\r\n\r\n${envelope}\r\n--b\r\nContent-Type: application/text\r\n\r\n(inform :sender (agent-identifier :name mallory@elsewhere) :receiver (set (agent-identifier :name echo@caxton)) :content "x")\r\n--b--\r\n`;
    const impersonating = await post(capability, forged);
    assert.equal(impersonating.status, 403);
    assert.equal(((await impersonating.json()) as { code: string }).code, 'mtp.forbidden');
    const dtd = await post(
      capability,
      `--b\r\nContent-Type: application/xml\r\n\r\n<!DOCTYPE e [<!ENTITY x "y">]>${envelope}\r\n--b\r\n\r\n(inform)\r\n--b--\r\n`,
    );
    assert.equal(dtd.status, 400);
    assert.equal(((await dtd.json()) as { code: string }).code, 'mtp.malformed');
    const records = (await audit()).slice(before).flatMap((r) => (r.kind === undefined && r.method === 'MtpPost' ? [r] : []));
    assert.deepEqual(
      records.map((r) => `${r.result.code} ${r.result.error}`),
      [
        'UNAUTHENTICATED mtp.unauthenticated',
        'RESOURCE_EXHAUSTED mtp.body-too-large',
        'PERMISSION_DENIED mtp.forbidden',
        'INVALID_ARGUMENT mtp.malformed',
      ],
    );
    assert.equal(records[0]!.token, '');
    assert.match(records[1]!.peer, new RegExp(`^mtp ${JADE_PLATFORM} 127\\.0\\.0\\.1:`));
    assert.ok(
      records.every((r) => !JSON.stringify(r).includes(secret)),
      'the secret is never written to the trail',
    );
  });

  it('(4) a contract net whose initiator is a JADE agent and whose contractors are Caxton agents in two languages completes', async () => {
    await jade!.out.lineFrom(/^CNET-DONE /, 20_000);
    const lines = jade!.out.text
      .split('\n')
      .filter((l) => l.startsWith('CNET-'))
      .map((l) => l.trim());
    assert.deepEqual(lines.filter((l) => l.startsWith('CNET-RESPONSE')).sort(), [
      'CNET-RESPONSE PROPOSE cx-as@caxton 40',
      'CNET-RESPONSE PROPOSE cx-js@caxton 25',
    ]);
    assert.ok(lines.includes('CNET-INFORM cx-js@caxton done: parcel-42 by cx-js@caxton for 25'), lines.join('\n'));
    assert.ok(lines.includes('CNET-DONE 1'));
    assert.ok(!lines.some((l) => l.startsWith('CNET-FAILURE')), lines.join('\n'));
    const rejected = await until(
      'the rejection',
      (e) => e.message.performative === 'reject-proposal' && e.message.sender?.name === `cnet@${JADE_PLATFORM}`,
    );
    assert.deepEqual(
      rejected.message.receivers.map((r) => r.name),
      ['cx-as@caxton'],
    );
  });

  async function audit(): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    await api.listAudit({ from: 0, limit: 1000 }, (r) => out.push(decodeRecord(r.bytes))).done;
    return out;
  }
});
