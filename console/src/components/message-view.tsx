/** One ACL message, whole: its JSON form and its FIPA string form, as the server sent them. */
import type { SniffedMessage } from '@caxton/core';

export function MessageView(props: { message: SniffedMessage; onClose(): void }) {
  const m = props.message;
  return (
    <div class="message-view" data-testid="message-view">
      <h2>
        {m.performative} <span class="muted">{m.time}</span>
      </h2>
      <dl>
        <dt>From</dt>
        <dd>{m.sender}</dd>
        <dt>To</dt>
        <dd>{m.receivers.join(', ')}</dd>
        {m.conversationId && (
          <>
            <dt>Conversation</dt>
            <dd>{m.conversationId}</dd>
          </>
        )}
        {m.protocol && (
          <>
            <dt>Protocol</dt>
            <dd>
              {m.protocol}
              {m.protocolState ? ` (state ${m.protocolState})` : ''}
            </dd>
          </>
        )}
        {m.replyBy && (
          <>
            <dt>Reply by</dt>
            <dd>{m.replyBy}</dd>
          </>
        )}
      </dl>
      <h3>JSON</h3>
      <pre data-testid="message-json" tabIndex={0}>
        {JSON.stringify(m.acl, null, 2)}
      </pre>
      <h3>FIPA string</h3>
      <pre data-testid="message-fipa" tabIndex={0}>
        {m.fipa}
      </pre>
      <button type="button" onClick={props.onClose}>
        Close
      </button>
    </div>
  );
}
