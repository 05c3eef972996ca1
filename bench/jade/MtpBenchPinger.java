import jade.core.AID;
import jade.core.Agent;
import jade.core.behaviours.CyclicBehaviour;
import jade.lang.acl.ACLMessage;
import java.util.Arrays;

/**
 * The interop bench's JADE side (bench/interop.ts): request -> inform round trips to a Caxton echo
 * over the FIPA HTTP MTP. Phase 1: `sequential` round trips one at a time (latency, after `warmup`
 * untimed ones). Phase 2: `window` requests kept outstanding for `seconds` (throughput). Prints one
 * RESULT line. Arguments: receiver AID name, its ACC URL, warmup, sequential, window, seconds.
 */
public class MtpBenchPinger extends Agent {
  private AID echo;
  private int warmup, sequential, window;
  private long seconds;
  private long[] latencies;
  private int done = 0;
  private long sentAt;
  private int phase = 0;
  private long windowStart, windowEnd, windowReplies = 0;

  protected void setup() {
    Object[] a = getArguments();
    echo = new AID((String) a[0], AID.ISGUID);
    echo.addAddresses((String) a[1]);
    warmup = Integer.parseInt((String) a[2]);
    sequential = Integer.parseInt((String) a[3]);
    window = Integer.parseInt((String) a[4]);
    seconds = Long.parseLong((String) a[5]);
    latencies = new long[sequential];
    sendOne("seq");
    addBehaviour(new CyclicBehaviour(this) {
      public void action() {
        ACLMessage in = receive();
        if (in == null) { block(); return; }
        if (in.getPerformative() != ACLMessage.INFORM) {
          System.out.println("BENCH-UNEXPECTED " + in);
          return;
        }
        if (phase == 0) {
          long now = System.nanoTime();
          if (done >= warmup) latencies[done - warmup] = now - sentAt;
          done++;
          if (done < warmup + sequential) { sendOne("seq"); return; }
          phase = 1;
          windowStart = System.nanoTime();
          windowEnd = windowStart + seconds * 1_000_000_000L;
          for (int i = 0; i < window; i++) sendOne("win");
          return;
        }
        if (phase == 1) {
          windowReplies++;
          long now = System.nanoTime();
          if (now < windowEnd) { sendOne("win"); return; }
          phase = 2;
          Arrays.sort(latencies);
          double p50 = latencies[(int) Math.ceil(0.50 * sequential) - 1] / 1e6;
          double p99 = latencies[(int) Math.ceil(0.99 * sequential) - 1] / 1e6;
          double rate = windowReplies * 2 / ((now - windowStart) / 1e9);
          System.out.println("RESULT p50_ms=" + p50 + " p99_ms=" + p99 + " msgs_per_s=" + rate + " samples=" + sequential);
        }
      }
    });
  }

  private void sendOne(String kind) {
    ACLMessage m = new ACLMessage(ACLMessage.REQUEST);
    m.addReceiver(echo);
    m.setContent(kind);
    sentAt = System.nanoTime();
    send(m);
  }
}
