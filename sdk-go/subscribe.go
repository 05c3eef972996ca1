package caxton

// fipa-subscribe (SC00035). Participant: keep a SubscriptionTable, Add the subscribe messages
// you accept (sends agree), Notify informs every subscriber in its own conversation, Cancel
// handles the cancel meta-protocol. Initiator: SubscribeTo / Unsubscribe.

// SubscriptionTable is the participant side: the accepted subscriptions by conversation-id, in
// the order they were accepted.
type SubscriptionTable struct {
	subs  map[string]*Message
	order []string
}

// Len is the number of subscriptions.
func (t *SubscriptionTable) Len() int { return len(t.order) }

// Add accepts a subscribe message: sends agree and remembers it.
func (t *SubscriptionTable) Add(subscribe *Message, agreeContent string) {
	if t.subs == nil {
		t.subs = map[string]*Message{}
	}
	if _, ok := t.subs[subscribe.ConversationID]; !ok {
		t.order = append(t.order, subscribe.ConversationID)
	}
	t.subs[subscribe.ConversationID] = subscribe
	Reply(subscribe, Agree, agreeContent)
}

// Cancel handles a cancel: forgets the subscription and confirms with inform; failure if it is
// unknown or belongs to another agent.
func (t *SubscriptionTable) Cancel(cancel *Message) bool {
	s, ok := t.subs[cancel.ConversationID]
	if !ok || s.Sender == nil || cancel.Sender == nil || s.Sender.Name != cancel.Sender.Name {
		Reply(cancel, Failure, "no such subscription")
		return false
	}
	delete(t.subs, cancel.ConversationID)
	for i, k := range t.order {
		if k == cancel.ConversationID {
			t.order = append(t.order[:i], t.order[i+1:]...)
			break
		}
	}
	Reply(cancel, Inform, "subscription cancelled")
	return true
}

// Notify sends content as an inform to every subscriber; it returns how many were notified.
func (t *SubscriptionTable) Notify(content string) int {
	for _, k := range t.order {
		Send(CreateReply(t.subs[k], Inform, content))
	}
	return len(t.order)
}

// SubscribeTo subscribes to publisher; keep the returned message to unsubscribe later.
func SubscribeTo(publisher AgentID, content string) (*Message, error) {
	m := Initiate(Subscribe, []AgentID{publisher}, content, ProtocolSubscribe)
	return m, Send(m)
}

// Unsubscribe cancels a subscription made with SubscribeTo.
func Unsubscribe(subscription *Message) error {
	m := Initiate(Cancel, subscription.Receivers, subscription.Content, ProtocolSubscribe)
	m.ConversationID = subscription.ConversationID
	return Send(m)
}
