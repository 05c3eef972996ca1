import jade.core.AID;
import jade.core.Agent;
import jade.core.Profile;
import jade.core.ProfileImpl;
import jade.core.Runtime;
import jade.core.behaviours.CyclicBehaviour;
import jade.lang.acl.ACLMessage;
import jade.wrapper.AgentContainer;

import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bus bench's shape on JADE (bench/lib-jade.ts runs it): `pairs` pinger/ponger pairs in one
 * main container, each pinger keeping `chains` REQUEST -> INFORM chains outstanding; every message
 * an agent receives is counted (requests at pongers, replies at pingers), as bench/bus.ts counts
 * handled deliveries. After `warm` seconds it counts for `seconds` and prints one line:
 *   RESULT msgs_per_s=N cpu_us_per_msg=X cores=Y pairs=P chains=C seconds=S
 * CPU is this JVM's process CPU time over the window (all threads), so cpu_us_per_msg compares
 * with the bench's process CPU per handled message. JADE neither sandboxes nor persists.
 */
public class JadePingPong {
    static final LongAdder RECEIVED = new LongAdder();
    static volatile boolean stopping = false;

    /** Answers every REQUEST with an INFORM carrying the same content. */
    public static class Ponger extends Agent {
        @Override protected void setup() {
            addBehaviour(new CyclicBehaviour(this) {
                @Override public void action() {
                    ACLMessage request = myAgent.receive();
                    if (request == null) { block(); return; }
                    RECEIVED.increment();
                    ACLMessage reply = request.createReply();
                    reply.setPerformative(ACLMessage.INFORM);
                    reply.setContent(request.getContent());
                    myAgent.send(reply);
                }
            });
        }
    }

    /** Starts `chains` conversations with its ponger; each reply sends the next request. */
    public static class Pinger extends Agent {
        @Override protected void setup() {
            Object[] args = getArguments();
            int index = (Integer) args[0];
            int chains = (Integer) args[1];
            AID ponger = new AID("ponger-" + index, AID.ISLOCALNAME);
            for (int c = 0; c < chains; c++) send(request(ponger, "chain-" + index + "-" + c));
            addBehaviour(new CyclicBehaviour(this) {
                @Override public void action() {
                    ACLMessage reply = myAgent.receive();
                    if (reply == null) { block(); return; }
                    RECEIVED.increment();
                    if (!stopping) myAgent.send(request(ponger, reply.getConversationId()));
                }
            });
        }

    }

    static ACLMessage request(AID to, String conversation) {
        ACLMessage m = new ACLMessage(ACLMessage.REQUEST);
        m.addReceiver(to);
        m.setConversationId(conversation);
        m.setContent("ping");
        return m;
    }

    static int intArg(String[] args, String name, int fallback) {
        for (String a : args) if (a.startsWith(name + "=")) return Integer.parseInt(a.substring(name.length() + 1));
        return fallback;
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    public static void main(String[] args) throws Exception {
        int pairs = intArg(args, "pairs", 64);
        int chains = intArg(args, "chains", 8);
        int warm = intArg(args, "warm", 2);
        int seconds = intArg(args, "seconds", 5);
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }

        Runtime rt = Runtime.instance();
        rt.setCloseVM(true);
        Profile profile = new ProfileImpl();
        profile.setParameter(Profile.LOCAL_HOST, "127.0.0.1");
        profile.setParameter(Profile.LOCAL_PORT, Integer.toString(port));
        profile.setParameter(Profile.GUI, "false");
        profile.setParameter("nomtp", "true");
        AgentContainer container = rt.createMainContainer(profile);
        for (int i = 0; i < pairs; i++) container.createNewAgent("ponger-" + i, Ponger.class.getName(), new Object[0]).start();
        for (int i = 0; i < pairs; i++) container.createNewAgent("pinger-" + i, Pinger.class.getName(), new Object[] { i, chains }).start();

        Thread.sleep(warm * 1000L);
        long received0 = RECEIVED.sum();
        long cpu0 = processCpuNanos();
        long wall0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long received = RECEIVED.sum() - received0;
        long cpu = processCpuNanos() - cpu0;
        double wall = (System.nanoTime() - wall0) / 1e9;
        stopping = true;

        System.out.println(String.format(Locale.ROOT,
            "RESULT msgs_per_s=%.0f cpu_us_per_msg=%.2f cores=%.2f pairs=%d chains=%d seconds=%.2f",
            received / wall, received == 0 ? Double.NaN : cpu / 1e3 / received, cpu / 1e9 / wall, pairs, chains, wall));
        System.out.flush();
        System.exit(0);
    }
}
