import jade.core.Agent;
import jade.core.behaviours.CyclicBehaviour;
import jade.lang.acl.ACLMessage;

/**
 * Caxton → JADE: answers every `request` with an `inform` "pong: <content>" (JADE's createReply
 * sends it back to the Caxton agent's address, over the HTTP MTP), and prints what it got.
 */
public class Pong extends Agent {
  protected void setup() {
    System.out.println("PONG-READY " + getAID().getName());
    addBehaviour(new CyclicBehaviour(this) {
      public void action() {
        ACLMessage in = receive();
        if (in == null) { block(); return; }
        System.out.println("PONG-GOT " + ACLMessage.getPerformative(in.getPerformative()) + " from " + in.getSender().getName()
          + " content=" + in.getContent());
        if (in.getPerformative() != ACLMessage.REQUEST) return; // answer requests only: never answer an answer
        ACLMessage answer = in.createReply();
        answer.setPerformative(ACLMessage.INFORM);
        answer.setContent("pong: " + in.getContent());
        send(answer);
        System.out.println("PONG-SENT INFORM to " + in.getSender().getName() + " content=" + answer.getContent());
      }
    });
  }
}
