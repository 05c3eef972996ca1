package caxton

import (
	"errors"
	"strconv"
	"testing"
)

// fakeHost records what the SDK asks of the runtime.
type fakeHost struct {
	sent   []*Message
	logs   []string
	timers []string
	now    uint64
	ids    int
	svc    []*ServiceDescription
}

func (h *fakeHost) Send(m *Message) error {
	if len(m.Receivers) == 0 {
		return hostError("no receivers")
	}
	h.sent = append(h.sent, m)
	return nil
}
func (h *fakeHost) Log(_ LogLevel, line string)                 { h.logs = append(h.logs, line) }
func (h *fakeHost) Now() uint64                                 { return h.now }
func (h *fakeHost) NewID() string                               { h.ids++; return "id-" + strconv.Itoa(h.ids) }
func (h *fakeHost) SetTimer(_ uint32, token string)             { h.timers = append(h.timers, token) }
func (h *fakeHost) RegisterService(s *ServiceDescription) error { h.svc = append(h.svc, s); return nil }
func (h *fakeHost) DeregisterService(string)                    {}
func (h *fakeHost) SearchServices(string) []AgentID             { return nil }

func withHost(t *testing.T) *fakeHost {
	h := &fakeHost{now: 1000}
	prev := UseHost(h)
	t.Cleanup(func() { UseHost(prev) })
	return h
}

func TestPerformativesMatchTheWorld(t *testing.T) {
	if PerformativeCount != 22 || AcceptProposal.String() != "accept-proposal" || Subscribe.String() != "subscribe" || Request != 18 {
		t.Fatal("performative discriminants must follow wit/agent.wit's declaration order")
	}
	for i := 0; i < PerformativeCount; i++ {
		p, ok := ParsePerformative(Performative(i).String())
		if !ok || p != Performative(i) {
			t.Fatalf("round trip of %d", i)
		}
	}
	if _, ok := ParsePerformative("shout"); ok {
		t.Fatal("unknown names are refused")
	}
}

func TestReplyKeepsTheConversation(t *testing.T) {
	h := withHost(t)
	req := &Message{Performative: Request, Sender: &AgentID{Name: "a@x"}, ConversationID: "c1", ReplyWith: "r1", Protocol: ProtocolRequest, Language: "json", Content: "hi"}
	if err := Reply(req, Inform, "ho"); err != nil {
		t.Fatal(err)
	}
	got := h.sent[0]
	if got.Receivers[0].Name != "a@x" || got.InReplyTo != "r1" || got.ConversationID != "c1" || got.Protocol != ProtocolRequest || got.Language != "json" || got.Content != "ho" {
		t.Fatalf("reply %+v", got)
	}
	req.ReplyTo = []AgentID{{Name: "b@x"}}
	InformDone(req, "")
	if h.sent[1].Receivers[0].Name != "b@x" || h.sent[1].Content != "done" {
		t.Fatalf("reply-to wins: %+v", h.sent[1])
	}
	var he hostError
	if err := Reply(&Message{}, Inform, "x"); !errors.As(err, &he) {
		t.Fatalf("the host's error comes back: %v", err)
	}
}

func TestUserParams(t *testing.T) {
	m := NewMessage(Inform, "x")
	m.SetParam("trace", "1").SetParam("X-TRACE", "2")
	if v, ok := m.Param("x-trace"); !ok || v != "2" || len(m.UserParams) != 1 || m.UserParams[0].Key != "X-trace" {
		t.Fatalf("params %+v", m.UserParams)
	}
}

func TestBaseAgentAnswersNotUnderstood(t *testing.T) {
	h := withHost(t)
	Register(BaseAgent{})
	t.Cleanup(func() { Register(nil) })
	if err := callHandle(&Message{Performative: Request, Sender: &AgentID{Name: "a@x"}}); err != nil {
		t.Fatal(err)
	}
	callHandle(&Message{Performative: NotUnderstood, Sender: &AgentID{Name: "a@x"}})
	if len(h.sent) != 1 || h.sent[0].Performative != NotUnderstood {
		t.Fatalf("sent %+v", h.sent)
	}
	Register(nil)
	if err := callHandle(&Message{}); err == nil {
		t.Fatal("no agent registered is an error")
	}
}

func TestRequestAndQueryOpenConversations(t *testing.T) {
	h := withHost(t)
	m, err := SendRequest(AgentID{Name: "b@x"}, "do it")
	if err != nil || m.Performative != Request || m.Protocol != ProtocolRequest || m.ConversationID == "" || m.ReplyWith == "" || h.sent[0] != m {
		t.Fatalf("request %+v %v", m, err)
	}
	q, _ := QueryRefOf(AgentID{Name: "b@x"}, "(price ?x)")
	if q.Performative != QueryRef || q.Protocol != ProtocolQuery {
		t.Fatalf("query %+v", q)
	}
}

func TestSubscriptions(t *testing.T) {
	h := withHost(t)
	var table SubscriptionTable
	sub := &Message{Performative: Subscribe, Sender: &AgentID{Name: "a@x"}, ConversationID: "s1"}
	table.Add(sub, "")
	table.Add(&Message{Performative: Subscribe, Sender: &AgentID{Name: "b@x"}, ConversationID: "s2"}, "")
	if n := table.Notify("tick"); n != 2 || h.sent[2].Content != "tick" || h.sent[2].ConversationID != "s1" {
		t.Fatalf("notify %d %+v", n, h.sent)
	}
	if table.Cancel(&Message{Performative: Cancel, Sender: &AgentID{Name: "b@x"}, ConversationID: "s1"}) {
		t.Fatal("only the subscriber may cancel")
	}
	if !table.Cancel(&Message{Performative: Cancel, Sender: &AgentID{Name: "a@x"}, ConversationID: "s1"}) || table.Len() != 1 {
		t.Fatal("cancel")
	}
	if m, _ := SubscribeTo(AgentID{Name: "p@x"}, "news"); Unsubscribe(m) != nil || h.sent[len(h.sent)-1].Performative != Cancel {
		t.Fatal("unsubscribe sends cancel")
	}
}

func TestContractNetInitiator(t *testing.T) {
	h := withHost(t)
	var cn ContractNetInitiator
	round := cn.Start("deliver", []AgentID{{Name: "a@x"}, {Name: "b@x"}, {Name: "c@x"}}, 500)
	cfp := h.sent[0]
	if cfp.Performative != Cfp || cfp.ReplyBy != 1500 || len(h.timers) != 1 || round.State != Collecting {
		t.Fatalf("cfp %+v", cfp)
	}
	answer := func(from string, p Performative, content string) *Message {
		return &Message{Performative: p, Sender: &AgentID{Name: from}, ConversationID: round.ConversationID, ReplyWith: from, Content: content}
	}
	if r := cn.Handle(answer("a@x", Propose, "30")); r != round || r.LastEvent != EventPropose {
		t.Fatal("propose")
	}
	if cn.Handle(answer("z@x", Propose, "1")) != nil {
		t.Fatal("uninvited bidders are not part of the round")
	}
	cn.Handle(answer("b@x", Refuse, "busy"))
	if cn.OnTimer(h.timers[0]) != round || round.State != Ready {
		t.Fatal("the deadline closes the round")
	}
	if r := cn.Handle(answer("c@x", Propose, "5")); r.LastEvent != EventLate || h.sent[len(h.sent)-1].Performative != RejectProposal {
		t.Fatal("late proposals are rejected")
	}
	best := BestProposal(round, func(m *Message) float64 { f, _ := strconv.ParseFloat(m.Content, 64); return -f })
	if best.Sender.Name != "a@x" || cn.Award(round, best, "go") != nil || round.State != Awarded {
		t.Fatal("award")
	}
	if cn.Award(round, best, "again") != ErrNotReady {
		t.Fatal("award twice")
	}
	if r := cn.Handle(answer("a@x", Inform, "done")); r.State != Done || r.LastEvent != EventResult {
		t.Fatal("result")
	}
}

func TestProposeRespectsReplyBy(t *testing.T) {
	h := withHost(t)
	cfp := &Message{Performative: Cfp, Sender: &AgentID{Name: "m@x"}, ReplyBy: 999}
	if ProposeTo(cfp, "10") || len(h.sent) != 0 {
		t.Fatal("an expired cfp gets no proposal")
	}
	cfp.ReplyBy = 2000
	if !ProposeTo(cfp, "10") || h.sent[0].Performative != Propose {
		t.Fatal("propose")
	}
}
