// Answers a `request` by calling the HTTP service named in its config, then replying to the
// original requester when the service's answer arrives.
//
//   config service-url=https://api.example.com/lookup   (required; its host must be allowed)
//   config service-method=GET|POST                      (default POST: the request content is the body;
//                                                        GET appends it as ?q=<content>)
//   request "<text>"  -> inform "<response body>"                 (2xx)
//                     -> failure "service answered <status>: …"   (any other status)
//                     -> failure "http call failed: <kind>"       (timeout, connect-failed, …)
//
// `http.fetch` does not block: it returns an id at once, and the response comes back later as a
// message from http@<platform>. The agent keeps nothing in memory between the two: whom to answer
// travels in the request's `context`, which the response carries back. So the answer reaches the
// requester even if this agent was restarted or moved to another node in between.
import { defineAgent, configValue, send, message, failure, notUnderstood, param } from '@caxton/sdk-js';
import { http, httpResponse, HttpError } from '@caxton/sdk-js/http';

let serviceUrl = '';
let serviceMethod = 'POST';

/** What the answer needs from the request, as the call's context (a string, echoed back). */
function answerContext(req) {
  return JSON.stringify({
    to: req.sender?.name, replyWith: req.replyWith, conversationId: req.conversationId, protocol: req.protocol,
  });
}

function answer(ctx, performative, content, extra = []) {
  send(message({
    performative, receivers: [ctx.to], content, inReplyTo: ctx.replyWith ?? null,
    conversationId: ctx.conversationId ?? null, protocol: ctx.protocol ?? null, userParams: extra,
  }));
}

function onHttpResponse(r) {
  let ctx;
  try {
    ctx = JSON.parse(r.context ?? '');
  } catch {
    console.warn(`response ${r.requestId} carries no answer context; dropped`);
    return;
  }
  if (!ctx?.to) return;
  if (!r.answered) return answer(ctx, 'failure', `http call failed: ${r.failure ?? 'unknown'}`);
  const status = [['X-http-status', String(r.status)]];
  if (r.status >= 200 && r.status < 300) return answer(ctx, 'inform', r.body, status);
  answer(ctx, 'failure', `service answered ${r.status}: ${r.body.slice(0, 200)}`, status);
}

export const guest = defineAgent({
  init() {
    serviceUrl = configValue('service-url') ?? '';
    if (!/^https?:\/\//.test(serviceUrl)) throw new Error('config service-url must be an http:// or https:// URL');
    serviceMethod = (configValue('service-method') ?? 'POST').toUpperCase();
    if (serviceMethod !== 'GET' && serviceMethod !== 'POST') throw new Error('config service-method must be GET or POST');
  },
  onMessage(msg) {
    const response = httpResponse(msg);
    if (response) return void onHttpResponse(response);
    if (msg.performative !== 'request') {
      if (msg.performative !== 'not-understood' && msg.performative !== 'failure') notUnderstood(msg, 'send a request');
      return;
    }
    const text = msg.content ?? '';
    const get = serviceMethod === 'GET';
    try {
      http.fetch({
        method: serviceMethod,
        url: get ? `${serviceUrl}${serviceUrl.includes('?') ? '&' : '?'}q=${encodeURIComponent(text)}` : serviceUrl,
        headers: get ? [] : [['content-type', param(msg, 'X-content-type') ?? 'text/plain; charset=utf-8']],
        body: get ? undefined : text,
        context: answerContext(msg),
      });
    } catch (e) {
      // Refused at once (not on the allow-list, invalid, too many calls): tell the requester now.
      if (e instanceof HttpError) return void failure(msg, `http call refused: ${e.kind}: ${e.reason}`);
      throw e;
    }
  },
});
