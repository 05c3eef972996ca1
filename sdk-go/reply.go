package caxton

// CreateReply is a reply to `to` with the conversation bookkeeping filled in: receivers are
// to's reply-to (or its sender), conversation-id and protocol are kept, in-reply-to is to's
// reply-with, and language/ontology/encoding are kept so the reply speaks the same content
// language.
func CreateReply(to *Message, p Performative, content string) *Message {
	r := &Message{Performative: p, Content: content}
	if len(to.ReplyTo) > 0 {
		r.Receivers = append(r.Receivers, to.ReplyTo...)
	} else if to.Sender != nil {
		r.Receivers = append(r.Receivers, *to.Sender)
	}
	r.ConversationID = to.ConversationID
	r.InReplyTo = to.ReplyWith
	r.Protocol = to.Protocol
	r.Language = to.Language
	r.Ontology = to.Ontology
	r.Encoding = to.Encoding
	return r
}

// Reply sends a reply built by CreateReply. The error says why it is invalid, if it is.
func Reply(to *Message, p Performative, content string) error {
	return Send(CreateReply(to, p, content))
}

// Initiate is a new message opening a conversation: fresh conversation-id and reply-with, the
// given protocol ("" for a one-off message outside any interaction protocol).
func Initiate(p Performative, receivers []AgentID, content, protocol string) *Message {
	return &Message{
		Performative: p, Receivers: receivers, Content: content, Protocol: protocol,
		ConversationID: NewID(), ReplyWith: NewID(),
	}
}

// AgreeTo: the request will be carried out; a final inform or failure follows.
func AgreeTo(request *Message, content string) error { return Reply(request, Agree, content) }

// RefuseTo declines a request, query or cfp, with a reason.
func RefuseTo(request *Message, reason string) error { return Reply(request, Refuse, reason) }

// InformDone: the requested action is done (content "done" when empty).
func InformDone(request *Message, content string) error {
	if content == "" {
		content = "done"
	}
	return Reply(request, Inform, content)
}

// InformResult: the requested action produced result (also the answer to a query-ref).
func InformResult(request *Message, result string) error { return Reply(request, Inform, result) }

// FailureTo: the agreed action failed.
func FailureTo(request *Message, reason string) error { return Reply(request, Failure, reason) }

// NotUnderstoodTo: the message was not understood (unknown performative, content or protocol).
func NotUnderstoodTo(msg *Message, reason string) error { return Reply(msg, NotUnderstood, reason) }

// IsExpired reports whether msg has a reply-by deadline that has passed at nowMs.
func IsExpired(msg *Message, nowMs uint64) bool { return msg.ReplyBy != 0 && nowMs > msg.ReplyBy }
