// Answers a `request` by asking an A2A agent, then replying to the requester with its answer.
//
//   config a2a-url=https://agent.example/a2a/jsonrpc   (required: the agent's JSON-RPC endpoint;
//                                                       its host must be allowed: --allow-http)
//   config a2a-token=<bearer token>                    (optional: sent as Authorization: Bearer)
//   config a2a-version=1.0|0.3                         (default 1.0)
//   request "<text>" -> inform "<the A2A task's text>"          (task completed, or a Message)
//                    -> failure "a2a task <state>: <text>"     (failed, rejected, canceled…)
//                    -> failure "a2a call failed: <error>"     (no response, HTTP or JSON-RPC error, malformed)
//                    -> failure "a2a call refused: <error>"    (the call could not leave: allow-list, quota…)
//
// The call does not block: whom to answer travels in the call's context and comes back with the
// answer, so nothing is kept in memory in between (as examples/js-http-agent does).
import { defineAgent, configValue, send, message, failure, notUnderstood } from '@caxton/sdk-js';
import { a2a, a2aResponse, A2aError } from '@caxton/sdk-js/a2a';

let url = '';
let token;
let version = '1.0';

function answer(ctx, performative, content) {
  send(message({
    performative, receivers: [ctx.to], content, inReplyTo: ctx.replyWith ?? null,
    conversationId: ctx.conversationId ?? null, protocol: ctx.protocol ?? null,
  }));
}

function onA2aResponse(r) {
  let ctx;
  try {
    ctx = JSON.parse(r.context);
  } catch {
    console.warn(`a2a answer ${r.requestId} carries no answer context; dropped`);
    return;
  }
  if (!r.ok) return answer(ctx, 'failure', `a2a call failed: ${r.error.message}`);
  const { result } = r;
  if (result.kind === 'message' || result.state === 'completed') return answer(ctx, 'inform', result.text);
  answer(ctx, 'failure', `a2a task ${result.state}: ${result.text}`);
}

export const guest = defineAgent({
  init() {
    url = configValue('a2a-url') ?? '';
    if (!/^https?:\/\//.test(url)) throw new Error('config a2a-url must be an http:// or https:// URL');
    token = configValue('a2a-token');
    version = configValue('a2a-version') ?? '1.0';
    if (version !== '1.0' && version !== '0.3') throw new Error('config a2a-version must be 1.0 or 0.3');
  },
  onMessage(msg) {
    const response = a2aResponse(msg);
    if (response) return void onA2aResponse(response);
    if (msg.performative !== 'request') {
      if (msg.performative !== 'not-understood' && msg.performative !== 'failure') notUnderstood(msg, 'send a request');
      return;
    }
    try {
      a2a.send({
        url, text: msg.content ?? '', token, version,
        context: JSON.stringify({ to: msg.sender?.name, replyWith: msg.replyWith, conversationId: msg.conversationId, protocol: msg.protocol }),
      });
    } catch (e) {
      if (e instanceof A2aError) return void failure(msg, `a2a call refused: ${e.message}`);
      throw e;
    }
  },
});
