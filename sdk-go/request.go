package caxton

// Protocol names of the FIPA interaction protocols the SDK helps with.
const (
	ProtocolRequest     = "fipa-request"      // SC00026
	ProtocolQuery       = "fipa-query"        // SC00027
	ProtocolSubscribe   = "fipa-subscribe"    // SC00035
	ProtocolContractNet = "fipa-contract-net" // SC00029
)

// Initiating fipa-request and fipa-query. The participant side is the answer helpers in reply.go:
// AgreeTo/RefuseTo, then InformDone/InformResult/FailureTo.
func open(p Performative, receiver AgentID, content, protocol string) (*Message, error) {
	m := Initiate(p, []AgentID{receiver}, content, protocol)
	return m, Send(m)
}

// SendRequest asks receiver to perform an action; the returned message's ConversationID tracks it.
func SendRequest(receiver AgentID, content string) (*Message, error) {
	return open(Request, receiver, content, ProtocolRequest)
}

// QueryRefOf asks for the object(s) matching a referential expression (answered by inform).
func QueryRefOf(receiver AgentID, content string) (*Message, error) {
	return open(QueryRef, receiver, content, ProtocolQuery)
}

// QueryIfOf asks whether a proposition is true (answered by inform).
func QueryIfOf(receiver AgentID, content string) (*Message, error) {
	return open(QueryIf, receiver, content, ProtocolQuery)
}
