import jade.core.AID;
import jade.core.Agent;
import jade.core.behaviours.CyclicBehaviour;
import jade.lang.acl.ACLMessage;

/**
 * JADE → Caxton: sends one `request` to the Caxton agent its arguments name and prints what comes back.
 * Arguments: the Caxton agent's FIPA name (echo@caxton), the Caxton ACC's capability URL
 * (http://127.0.0.1:7780/acc/<the secret the Caxton peers file gives this platform>), the content.
 */
public class AskCaxton extends Agent {
  protected void setup() {
    Object[] args = getArguments();
    AID caxtonAgent = new AID((String) args[0], AID.ISGUID);
    caxtonAgent.addAddresses((String) args[1]);
    ACLMessage request = new ACLMessage(ACLMessage.REQUEST);
    request.addReceiver(caxtonAgent);
    request.setContent(args.length > 2 ? (String) args[2] : "hello from JADE");
    request.setConversationId("jade-asks-caxton");
    request.setReplyWith("jade-request-1");
    send(request);
    System.out.println("ASK-CAXTON-SENT REQUEST to " + caxtonAgent.getName() + " content=" + request.getContent());
    addBehaviour(new CyclicBehaviour(this) {
      public void action() {
        ACLMessage in = receive();
        if (in == null) { block(); return; }
        System.out.println("ASK-CAXTON-GOT " + ACLMessage.getPerformative(in.getPerformative()) + " from " + in.getSender().getName()
          + " conversation=" + in.getConversationId() + " in-reply-to=" + in.getInReplyTo() + " content=" + in.getContent());
      }
    });
  }
}
