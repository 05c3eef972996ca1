package a2a

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"caxton.dev/caxton/http"
)

// MaxDepth is how deep an answer may nest (objects and arrays); A2A answers nest about ten deep.
// Checked before encoding/json sees the text, as the other SDKs do, so a hostile server's deep
// answer costs one linear scan and is Malformed.
const MaxDepth = 64

// MaxEvents is how many events one stream may carry before it is refused as Malformed.
const MaxEvents = 1000

// MaxArtifacts is how many artifacts one task may carry (an answer's, or folded from a stream)
// before it is refused as Malformed: the same limit and reason in every SDK, bounding the fold's work.
const MaxArtifacts = 1000

func tooManyArtifacts() *Error {
	return malformed("the task has more than " + strconv.Itoa(MaxArtifacts) + " artifacts")
}

// Result is a Task or a Message, in either version's JSON, read into one shape.
type Result struct {
	// IsTask: a Task (TaskID); else a Message (MessageID).
	IsTask    bool
	TaskID    string
	MessageID string
	ContextID string
	// State is the task's state in lower case with dashes (completed, failed, input-required…); "" for a Message.
	State string
	// Final: the task ended (completed, failed, canceled, rejected); true for a Message.
	Final bool
	// Text is the artifacts' text, else the status message's (a Message: its text); parts joined by newlines.
	Text string
	// States (a stream only): every state the task passed through, in order.
	States []string
}

// quote is s as a JSON string literal.
func quote(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// nestingExceeds: whether text opens more than max objects/arrays at once, brackets in strings aside.
func nestingExceeds(text string, max int) bool {
	depth := 0
	inString := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if inString {
			if c == '\\' {
				i++
			} else if c == '"' {
				inString = false
			}
		} else if c == '"' {
			inString = true
		} else if c == '[' || c == '{' {
			if depth++; depth > max {
				return true
			}
		} else if c == ']' || c == '}' {
			depth--
		}
	}
	return false
}

// prefix is the first n characters of s.
func prefix(s string, n int) string {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

type object = map[string]any

func obj(v any) object {
	o, _ := v.(object)
	return o
}

func str(o object, key string) (string, bool) {
	s, ok := o[key].(string)
	return s, ok
}

func decode(text, what string) (any, *Error) {
	if nestingExceeds(text, MaxDepth) {
		return nil, malformed(what + " nests deeper than " + strconv.Itoa(MaxDepth) + " levels")
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return nil, malformed(what + " is not JSON: " + prefix(text, 120))
	}
	return v, nil
}

func rpcError(e object) *Error {
	var message string
	switch m := e["message"].(type) {
	case string:
		message = m
	case float64:
		message = strconv.FormatFloat(m, 'f', -1, 64)
	default:
		message = "error"
	}
	if hint, ok := str(obj(e["data"]), "hint"); ok {
		message += " (" + hint + ")"
	}
	out := &Error{Kind: RPCError, Reason: message}
	if c, ok := e["code"].(float64); ok && c == float64(int64(c)) {
		out.Code, out.HasCode = int64(c), true
	}
	return out
}

// partsText: the text parts of a message or artifact joined by newlines (1.0: {text}; 0.3: {kind:'text', text}).
func partsText(parts any) string {
	list, _ := parts.([]any)
	var texts []string
	for _, p := range list {
		if t, ok := str(obj(p), "text"); ok {
			texts = append(texts, t)
		}
	}
	return strings.Join(texts, "\n")
}

// stateName: TASK_STATE_INPUT_REQUIRED (1.0) and input-required (0.3) alike: input-required.
func stateName(s any) string {
	name, ok := s.(string)
	if !ok {
		return "unknown"
	}
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, "TASK_STATE_")), "_", "-")
}

func isFinal(state string) bool {
	return state == "completed" || state == "failed" || state == "canceled" || state == "rejected"
}

func statusText(status object) string {
	return partsText(obj(status["message"])["parts"])
}

func messageResult(m object) *Result {
	id, _ := str(m, "messageId")
	ctx, _ := str(m, "contextId")
	return &Result{MessageID: id, ContextID: ctx, Final: true, Text: partsText(m["parts"])}
}

func taskResult(task object) (*Result, *Error) {
	id, ok := str(task, "id")
	if !ok {
		return nil, malformed("the task has no id")
	}
	ctx, _ := str(task, "contextId")
	status := obj(task["status"])
	state := stateName(status["state"])
	var texts []string
	artifacts, _ := task["artifacts"].([]any)
	if len(artifacts) > MaxArtifacts {
		return nil, tooManyArtifacts()
	}
	for _, a := range artifacts {
		if t := partsText(obj(a)["parts"]); t != "" {
			texts = append(texts, t)
		}
	}
	text := strings.Join(texts, "\n")
	if text == "" {
		text = statusText(status)
	}
	return &Result{IsTask: true, TaskID: id, ContextID: ctx, State: state, Final: isFinal(state), Text: text}, nil
}

func isRPC(doc object) bool {
	v, ok := str(doc, "jsonrpc")
	return ok && v == "2.0"
}

// kindIs: r's "kind" is k (0.3's discriminator).
func kindIs(r object, k string) bool {
	v, ok := str(r, "kind")
	return ok && v == k
}

// ResultFromBody reads a JSON-RPC answer's body: a Task (1.0's {task}, GetTask's and CancelTask's
// Task itself, 0.3's kind: task) or a Message. RPCError for a JSON-RPC error, Malformed for the rest.
func ResultFromBody(body string) (*Result, *Error) {
	v, err := decode(body, "the answer")
	if err != nil {
		return nil, err
	}
	doc := obj(v)
	if doc == nil || !isRPC(doc) {
		return nil, malformed("the answer is not a JSON-RPC 2.0 response")
	}
	if e := obj(doc["error"]); e != nil {
		return nil, rpcError(e)
	}
	r := obj(doc["result"])
	if r == nil {
		return nil, malformed("the JSON-RPC response has no result")
	}
	_, hasKind := r["kind"]
	_, hasID := str(r, "id")
	task := obj(r["task"])
	if task == nil && (kindIs(r, "task") || (!hasKind && hasID && obj(r["status"]) != nil)) {
		task = r
	}
	if task != nil {
		return taskResult(task)
	}
	msg := obj(r["message"])
	if msg == nil && kindIs(r, "message") {
		msg = r
	}
	if msg != nil {
		return messageResult(msg), nil
	}
	return nil, malformed("the result is neither a Task nor a Message")
}

// sseEvents: the data of each server-sent event (its data: lines joined by newlines), empty ones left out.
func sseEvents(body string) []string {
	var events []string
	for _, block := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		var data []string
		for _, line := range strings.Split(block, "\n") {
			if d, ok := strings.CutPrefix(line, "data:"); ok {
				data = append(data, strings.TrimPrefix(d, " "))
			}
		}
		if d := strings.Join(data, "\n"); d != "" {
			events = append(events, d)
		}
	}
	return events
}

// ResultFromSSE folds a streamed answer (server-sent events, read whole) into one Result: the task
// as its events left it — the last status's state, the artifacts' text, else the last status
// message's — with States, every state passed through; or the Message the agent answered with.
func ResultFromSSE(body string) (*Result, *Error) {
	events := sseEvents(body)
	if len(events) > MaxEvents {
		return nil, malformed("the stream has " + strconv.Itoa(len(events)) + " events, more than " + strconv.Itoa(MaxEvents))
	}
	var task object
	var message object
	var states []string
	var artifactIDs []string
	artifacts := map[string]string{}
	status := ""
	setArtifact := func(a object, appendText bool) *Error {
		id, ok := str(a, "artifactId")
		if !ok {
			id = strconv.Itoa(len(artifactIDs))
		}
		if _, seen := artifacts[id]; !seen {
			if len(artifactIDs) >= MaxArtifacts {
				return tooManyArtifacts()
			}
			artifactIDs = append(artifactIDs, id)
		}
		if appendText {
			artifacts[id] += partsText(a["parts"])
		} else {
			artifacts[id] = partsText(a["parts"])
		}
		return nil
	}
	pick := func(r object, wrapper, kind string) object {
		if o := obj(r[wrapper]); o != nil {
			return o
		}
		if kindIs(r, kind) {
			return r
		}
		return nil
	}
	for _, data := range events {
		v, err := decode(data, "an event")
		if err != nil {
			return nil, err
		}
		doc := obj(v)
		if doc == nil || !isRPC(doc) {
			return nil, malformed("an event is not a JSON-RPC 2.0 response")
		}
		if e := obj(doc["error"]); e != nil {
			return nil, rpcError(e)
		}
		r := obj(doc["result"])
		if r == nil {
			return nil, malformed("an event has no result")
		}
		if t := pick(r, "task", "task"); t != nil {
			task = t
			list, _ := t["artifacts"].([]any)
			if len(list) > MaxArtifacts {
				return nil, tooManyArtifacts()
			}
			for _, a := range list {
				if o := obj(a); o != nil {
					if err := setArtifact(o, false); err != nil {
						return nil, err
					}
				}
			}
			if s := obj(t["status"]); s != nil {
				states = append(states, stateName(s["state"]))
				status = statusText(s)
			}
		} else if m := pick(r, "message", "message"); m != nil {
			message = m
		} else if u := pick(r, "statusUpdate", "status-update"); u != nil && obj(u["status"]) != nil {
			s := obj(u["status"])
			states = append(states, stateName(s["state"]))
			if t := statusText(s); t != "" {
				status = t
			}
		} else if u := pick(r, "artifactUpdate", "artifact-update"); u != nil && obj(u["artifact"]) != nil {
			appendText, _ := u["append"].(bool)
			if err := setArtifact(obj(u["artifact"]), appendText); err != nil {
				return nil, err
			}
		}
	}
	if task != nil {
		state := "unknown"
		if len(states) > 0 {
			state = states[len(states)-1]
		}
		var texts []string
		for _, id := range artifactIDs {
			if artifacts[id] != "" {
				texts = append(texts, artifacts[id])
			}
		}
		text := strings.Join(texts, "\n")
		if text == "" {
			text = status
		}
		var passed []string
		for i, s := range states {
			if i == 0 || s != states[i-1] {
				passed = append(passed, s)
			}
		}
		id, _ := str(task, "id")
		ctx, _ := str(task, "contextId")
		return &Result{IsTask: true, TaskID: id, ContextID: ctx, State: state, Final: isFinal(state), Text: text, States: passed}, nil
	}
	if message != nil {
		return messageResult(message), nil
	}
	return nil, malformed("the stream carried neither a Task nor a Message")
}

// ResultFromHTTP reads an HTTP answer to an A2A call: the result, or an *Error for no response, a
// non-2xx status (a JSON-RPC error in its body is read for the reason), or a body that is no A2A
// answer. Pure.
func ResultFromHTTP(r *http.Response, stream bool) (*Result, *Error) {
	if r.Status == 0 {
		failure := r.Failure
		if failure == "" {
			failure = "unknown"
		}
		return nil, &Error{Kind: NoResponse, Reason: "no response: " + failure, Failure: failure}
	}
	if r.BodyBase64 {
		return nil, malformed("the answer is not text")
	}
	if r.Status < 200 || r.Status > 299 {
		reason := prefix(r.Body, 200)
		if _, err := ResultFromBody(r.Body); err != nil && err.Kind == RPCError {
			reason = err.Reason
		}
		return nil, &Error{Kind: HTTPStatus, Reason: "HTTP " + strconv.Itoa(r.Status) + ": " + reason, Status: r.Status}
	}
	if stream {
		return ResultFromSSE(r.Body)
	}
	return ResultFromBody(r.Body)
}
