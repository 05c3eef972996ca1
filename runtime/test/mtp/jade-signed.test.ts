/**
 * Signed messages over the FIPA HTTP MTP (decision 2188) against a real JADE 4.6.5 platform in its
 * own JVM, with a real WASM echo on a real node. The JADE platform's entry in the peers file lists
 * its public key and requires signatures; a Java agent signs with Java's own Ed25519 (the JCA) over
 * the canonical form it computes itself (CaxtonSig below, written from the decision, not from the
 * node's code):
 * (1) a message signed with the listed key is taken, and the echo's answer — signed by the node —
 *     verifies on the Java side (and a copy the agent tampers with does not);
 * (2) a message changed after it was signed, one signed with another key, one naming an unknown key
 *     and an unsigned one are refused (401 `mtp.signature-refused`), audited with their fault, and
 *     never reach the echo.
 * JADE comes from CAXTON_JADE_JAR only; without it this file says how to get JADE and skips.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CaxtonClient } from '@caxton/client';
import { decodeRecord, type AuditRecord, type MessageEvent } from '@caxton/core';
import { startNode, type RunningNode } from '../../src/start/start-node.js';
import { readTokenFile, tokenFilePath } from '../../src/api/auth.js';
import { freePort } from '../support/ports.js';
import { startJadePlatform, type JadePlatform } from '../support/jade-platform.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const ECHO = path.join(ROOT, 'examples/as-echo/build/as-echo.wasm');
const JADE_JAR = process.env['CAXTON_JADE_JAR'];
const SKIP =
  JADE_JAR === undefined || !existsSync(JADE_JAR)
    ? 'CAXTON_JADE_JAR is not set to a jade.jar: get JADE 4.6.5 (docs/interop.md, "Testing against JADE") and set CAXTON_JADE_JAR to its jade.jar'
    : false;
if (SKIP) console.log(`# skipped: ${SKIP}`);

const JADE_PLATFORM = 'jade-sig';

/** The canonical form, signing and verifying of decision 2188, on the Java side (JCA Ed25519, Java 15+). */
const CAXTON_SIG = `
import jade.core.AID;
import jade.lang.acl.ACLMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
public class CaxtonSig {
  private static void u32(ByteArrayOutputStream out, int n) {
    out.write(n >>> 24); out.write(n >>> 16); out.write(n >>> 8); out.write(n);
  }
  private static void field(ByteArrayOutputStream out, String s) {
    byte[] b = (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
    u32(out, b.length);
    out.write(b, 0, b.length);
  }
  private static void names(ByteArrayOutputStream out, Iterator<?> it) {
    List<String> l = new ArrayList<>();
    while (it.hasNext()) l.add(((AID) it.next()).getName());
    Collections.sort(l);
    u32(out, l.size());
    for (String s : l) field(out, s);
  }
  public static byte[] canonical(ACLMessage m, String keyId, long at, String sendId) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    field(out, "caxton-mtp-sig/2");
    field(out, keyId);
    field(out, Long.toString(at));
    field(out, sendId);
    field(out, ACLMessage.getPerformative(m.getPerformative()).toLowerCase(java.util.Locale.ROOT));
    field(out, m.getSender() == null ? null : m.getSender().getName());
    names(out, m.getAllReceiver());
    names(out, m.getAllReplyTo());
    field(out, m.getContent());
    field(out, m.getLanguage());
    field(out, m.getEncoding());
    field(out, m.getOntology());
    field(out, m.getProtocol());
    field(out, m.getConversationId());
    field(out, m.getReplyWith());
    field(out, m.getInReplyTo());
    return out.toByteArray();
  }
  public static PrivateKey privateKey(String pkcs8) throws Exception {
    return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pkcs8)));
  }
  /** A peers-file key (32 raw bytes, base64) as a JCA key: the fixed SPKI prefix of RFC 8410, then the bytes. */
  public static PublicKey publicKey(String raw) throws Exception {
    byte[] prefix = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    byte[] k = Base64.getDecoder().decode(raw);
    byte[] spki = new byte[prefix.length + k.length];
    System.arraycopy(prefix, 0, spki, 0, prefix.length);
    System.arraycopy(k, 0, spki, prefix.length, k.length);
    return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
  }
  /**
   * Sets the message's caxton-sig (JADE writes it as :X-caxton-sig) for now, as sent by sender. The
   * sender is set only while the bytes are made: JADE's send() sets it (a message sent with one set
   * by hand fails in JADE 4.6.5's HTTP MTP).
   */
  public static void sign(ACLMessage m, AID sender, String keyId, PrivateKey key) throws Exception {
    long at = System.currentTimeMillis();
    Signature s = Signature.getInstance("Ed25519");
    s.initSign(key);
    m.setSender(sender);
    s.update(canonical(m, keyId, at, ""));
    m.setSender(null);
    // No send id: a JADE agent signs each send once (the value's third field is empty).
    m.addUserDefinedParameter("caxton-sig", keyId + ":" + at + "::" + Base64.getUrlEncoder().withoutPadding().encodeToString(s.sign()));
  }
  /** Whether the message carries a signature by keyId that verifies with key. */
  public static boolean verify(ACLMessage m, String keyId, PublicKey key) throws Exception {
    String v = m.getUserDefinedParameter("caxton-sig");
    if (v == null) return false;
    String[] p = v.split(":");
    if (p.length != 4 || !p[0].equals(keyId)) return false;
    Signature s = Signature.getInstance("Ed25519");
    s.initVerify(key);
    s.update(canonical(m, p[0], Long.parseLong(p[1]), p[2]));
    return s.verify(Base64.getUrlDecoder().decode(p[3]));
  }
}
`;

/**
 * Sends the echo five requests — signed, tampered after signing, signed with another key, naming an
 * unknown key, unsigned — and prints each answer with whether the node's signature on it verifies.
 * Arguments: the echo's name, the ACC capability, its own key (PKCS#8, base64), another key, the
 * node's key id and public key.
 */
const SIGNED_PINGER = `
import jade.core.AID;
import jade.core.Agent;
import jade.core.behaviours.CyclicBehaviour;
import jade.lang.acl.ACLMessage;
import java.security.PrivateKey;
import java.security.PublicKey;
public class SignedPinger extends Agent {
  private ACLMessage request(String conv, String content) {
    Object[] a = getArguments();
    AID echo = new AID((String) a[0], AID.ISGUID);
    echo.addAddresses((String) a[1]);
    ACLMessage m = new ACLMessage(ACLMessage.REQUEST);
    m.addReceiver(echo);
    m.setContent(content);
    m.setConversationId(conv);
    m.setReplyWith(conv + "-rw");
    return m;
  }
  protected void setup() {
    Object[] a = getArguments();
    try {
      PrivateKey mine = CaxtonSig.privateKey((String) a[2]);
      PrivateKey other = CaxtonSig.privateKey((String) a[3]);
      final String nodeKeyId = (String) a[4];
      final PublicKey nodeKey = CaxtonSig.publicKey((String) a[5]);
      ACLMessage good = request("sig-good", "signed \\"hello\\"");
      CaxtonSig.sign(good, getAID(), "jade-k1", mine);
      ACLMessage tampered = request("sig-tampered", "pay 10");
      CaxtonSig.sign(tampered, getAID(), "jade-k1", mine);
      tampered.setContent("pay 1000");
      ACLMessage otherKey = request("sig-other-key", "from another key");
      CaxtonSig.sign(otherKey, getAID(), "jade-k1", other);
      ACLMessage unknownKey = request("sig-unknown-key", "from an unlisted key id");
      CaxtonSig.sign(unknownKey, getAID(), "jade-k9", mine);
      ACLMessage unsigned = request("sig-unsigned", "not signed");
      // One at a time, each after the answer to the one before (the echo's inform, or the failure
      // JADE's AMS returns for a refused post). JADE 4.6.5's HTTP MTP fails an agent's second post
      // to an ACC while its first is unanswered ("Cannot read the array length because <parameter3>
      // is null", with any ACC that takes ~100 ms — seen against a plain HTTP server answering 200
      // too), so sent all at once most would never reach the node.
      final ACLMessage[] queue = { tampered, otherKey, unknownKey, unsigned, good };
      final int[] next = { 1 };
      send(queue[0]);
      addBehaviour(new CyclicBehaviour(this) {
        public void action() {
          ACLMessage in = receive();
          if (in == null) { block(); return; }
          if (next[0] < queue.length) send(queue[next[0]++]);
          try {
            boolean verified = CaxtonSig.verify(in, nodeKeyId, nodeKey);
            String content = in.getContent();
            in.setContent(content + " (changed)");
            boolean tamperedVerified = CaxtonSig.verify(in, nodeKeyId, nodeKey);
            System.out.println("SIGNED-GOT " + ACLMessage.getPerformative(in.getPerformative()) + " " + in.getSender().getName()
              + " conv=" + in.getConversationId() + " verified=" + verified + " tamperedVerified=" + tamperedVerified + " content=" + content);
          } catch (Exception e) {
            System.out.println("SIGNED-ERROR " + e);
          }
        }
      });
    } catch (Exception e) {
      System.out.println("SIGNED-ERROR " + e);
    }
  }
}
`;

/** An Ed25519 key pair as the two sides take it: PKCS#8 for Java, the raw public key (base64) for a peers file. */
function keyPair(): { pkcs8: string; raw: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
    raw: publicKey.export({ type: 'spki', format: 'der' }).subarray(12).toString('base64'),
  };
}

describe('signed messages over the FIPA HTTP MTP with a real JADE platform', { skip: SKIP }, () => {
  let dir: string;
  let node: RunningNode;
  let api: CaxtonClient;
  let jade: JadePlatform | undefined;
  const secret = randomBytes(32).toString('base64url');
  const jadeKey = keyPair();
  const otherKey = keyPair();
  const seen: MessageEvent[] = [];
  let stopTail: (() => void) | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-mtp-sig-'));
    const sources = [
      ['CaxtonSig', CAXTON_SIG],
      ['SignedPinger', SIGNED_PINGER],
    ] as const;
    for (const [name, source] of sources) await writeFile(path.join(dir, `${name}.java`), source);
    const javac = spawnSync('javac', ['-cp', JADE_JAR!, '-d', dir, ...sources.map(([name]) => path.join(dir, `${name}.java`))], {
      encoding: 'utf8',
    });
    assert.equal(javac.status, 0, `javac failed: ${javac.stderr}`);
    const [jadeMtpPort, jadeIntraPort] = [await freePort(), await freePort()];
    const jadeAcc = `http://127.0.0.1:${jadeMtpPort}/acc`;
    // The node's signing key ring: a current key and a verify-only one (a rotation under way).
    const keyFile = path.join(dir, 'mtp-signing.keys');
    await writeFile(keyFile, `caxton-k2 ${randomBytes(32).toString('base64')}\ncaxton-k1 ${randomBytes(32).toString('base64')}\n`, {
      mode: 0o600,
    });

    node = await startNode({
      dataDir: path.join(dir, 'data'),
      apiHost: '127.0.0.1',
      apiPort: 0,
      auth: { mode: 'token' },
      shards: 1,
      mtp: {
        host: '127.0.0.1',
        port: 0,
        peers: [
          {
            platform: JADE_PLATFORM,
            secret,
            acc: jadeAcc,
            ratePerSecond: 200,
            publicKeys: [{ id: 'jade-k1', key: jadeKey.raw }],
            requireSignature: true,
          },
        ],
        retry: { attempts: 2, firstDelayMs: 50 },
        signingKeyFile: keyFile,
      },
    });
    const signing = node.mtpSigningKeys!;
    assert.deepEqual(
      signing.map((k) => k.id),
      ['caxton-k2', 'caxton-k1'],
    );
    api = await CaxtonClient.connect({
      address: `127.0.0.1:${node.apiPort}`,
      token: await readTokenFile(tokenFilePath(path.join(dir, 'data'))),
    });
    await api.deploy(
      { name: 'echo', http: { allow: [{ host: '127.0.0.1', ports: [jadeMtpPort], allowPrivate: true }] } },
      await readFile(ECHO),
    );
    stopTail = node.control.tail({}, { next: (e) => seen.push(e), end: () => {} });

    // JADE writes APDescription.txt and MTPs-*.txt into its working directory (dir).
    jade = startJadePlatform({
      jar: JADE_JAR!,
      dir,
      acc: jadeAcc,
      port: jadeIntraPort,
      platformId: JADE_PLATFORM,
      agents: `sping:SignedPinger(echo@caxton,${node.mtpUrl!}/${secret},${jadeKey.pkcs8},${otherKey.pkcs8},${signing[0]!.id},${signing[0]!.publicKey})`,
    });
  });

  after(async () => {
    stopTail?.();
    await jade?.stop();
    api?.close();
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("(1) a message signed with the listed key is taken, and the node's signed answer verifies on the Java side", async () => {
    const line = await jade!.out.lineFrom(/^SIGNED-(GOT INFORM echo@caxton conv=sig-good |ERROR)/, 30_000);
    assert.equal(line.trim(), 'SIGNED-GOT INFORM echo@caxton conv=sig-good verified=true tamperedVerified=false content=signed "hello"');
    const request = seen.find((e) => e.message.conversationId === 'sig-good' && e.message.performative === 'request');
    assert.ok(request, 'the signed request is on the tail');
    assert.equal(request.message.sender?.name, `sping@${JADE_PLATFORM}`);
    // The signature was the hop's: it is not handed to the agent.
    assert.equal(request.message.userParams?.['X-caxton-sig'], undefined);
  });

  it('(2) tampered, other-key, unknown-key and unsigned messages are refused, audited with their fault, and never delivered', async () => {
    // JADE's messaging posts them on threads of its own, in no fixed order: wait for the four records.
    const refusals = await until4Refusals(30_000);
    assert.deepEqual(refusals.map((r) => `${r.result.code} ${r.args.fields['signature']}`).sort(), [
      'UNAUTHENTICATED bad-signature',
      'UNAUTHENTICATED bad-signature',
      'UNAUTHENTICATED missing',
      'UNAUTHENTICATED unknown-key',
    ]);
    for (const r of refusals) {
      assert.equal(r.args.fields['platform'], JADE_PLATFORM);
      assert.match(r.peer, new RegExp(`^mtp ${JADE_PLATFORM} 127\\.0\\.0\\.1:`));
    }
    const delivered = seen.filter((e) => e.message.sender?.name === `sping@${JADE_PLATFORM}`).map((e) => e.message.conversationId);
    assert.deepEqual(delivered, ['sig-good']);
    assert.doesNotMatch(jade!.out.text, /SIGNED-GOT INFORM echo@caxton conv=sig-(tampered|other-key|unknown-key|unsigned)/);
  });

  /** The trail's signature refusals, once there are four (the trail is read again until then). */
  async function until4Refusals(ms: number) {
    const deadline = Date.now() + ms;
    for (;;) {
      const refusals = (await audit()).flatMap((r) =>
        r.kind === undefined && r.method === 'MtpPost' && r.result.error === 'mtp.signature-refused' ? [r] : [],
      );
      if (refusals.length >= 4 || Date.now() > deadline) return refusals;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function audit(): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    await api.listAudit({ from: 0, limit: 1000 }, (r) => out.push(decodeRecord(r.bytes))).done;
    return out;
  }
});
