/**
 * A conversation, step by step (issue 57): the handlings of each agent taking part, replayed on the
 * node from its log by the agent's deployed version — what each was handed, the state it saw and
 * wrote, what it sent, set, called and logged — in the order their work came. A step that differs
 * from what the log recorded says how (the recorded version: a determinism bug).
 */
import { Fragment } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { ConversationStep, ReplayResponse } from '@caxton/core';

export interface AgentReplay {
  agent: string;
  replay?: ReplayResponse;
  error?: string;
}

function inputOf(s: ConversationStep): string {
  const i = s.step.input;
  if ('timer' in i) return `timer ${JSON.stringify(i.timer)}`;
  return `${i.performative} from ${i.sender ?? '?'}: ${JSON.stringify(i.content ?? '')}`;
}

function StepView(props: { step: ConversationStep }) {
  const s = props.step;
  const keys = Object.keys(s.step.stateBefore);
  return (
    <li class="replay-step" data-testid="replay-step" data-agent={s.agent} data-same={s.differs.length === 0 ? 'true' : 'false'}>
      <p>
        <strong>{s.agent.split('@')[0]}</strong> <span class="muted">{s.at > 0 ? new Date(s.at).toISOString() : ''}</span> · {s.outcome},{' '}
        {s.fuelUsed.toLocaleString('en')} fuel ·{' '}
        {s.differs.length === 0 ? <span class="same">same as recorded</span> : <span class="error">differs: {s.differs.join(', ')}</span>}
      </p>
      <dl>
        <dt>in</dt>
        <dd>{inputOf(s)}</dd>
        {keys.map((k) => (
          <Fragment key={`k-${k}`}>
            <dt>state</dt>
            <dd>
              {JSON.stringify(k)}: {JSON.stringify(s.step.stateBefore[k])} →{' '}
              {Object.hasOwn(s.step.recordedWrites, k) ? JSON.stringify(s.step.recordedWrites[k]) : '(not written in the record)'}
            </dd>
          </Fragment>
        ))}
        {s.step.sent.map((m, i) => (
          <Fragment key={`s-${i}`}>
            <dt>sent</dt>
            <dd>
              {m.performative} to {m.receivers.join(', ')}: {JSON.stringify(m.content ?? '')}
            </dd>
          </Fragment>
        ))}
        {s.step.timers.map((t, i) => (
          <Fragment key={`t-${i}`}>
            <dt>timer</dt>
            <dd>
              {JSON.stringify(t.token)} in {t.delayMs} ms
            </dd>
          </Fragment>
        ))}
        {s.step.http.map((c, i) => (
          <Fragment key={`h-${i}`}>
            <dt>http</dt>
            <dd>
              {c.method} {c.url}
            </dd>
          </Fragment>
        ))}
        {s.step.logs.map((l, i) => (
          <Fragment key={`l-${i}`}>
            <dt>log</dt>
            <dd>{l}</dd>
          </Fragment>
        ))}
      </dl>
    </li>
  );
}

export function ReplaySteps(props: { conversation: string; replays: AgentReplay[] | 'loading'; onClose(): void }) {
  const { replays } = props;
  const section = useRef<HTMLElement>(null);
  // Below the diagram: brought into view when asked for, and again when the steps arrive.
  useEffect(() => section.current?.scrollIntoView({ block: 'start' }), [replays === 'loading']);
  const steps =
    replays === 'loading'
      ? []
      : replays.flatMap((r) => r.replay?.steps ?? []).sort((a, b) => a.at - b.at || a.agent.localeCompare(b.agent));
  return (
    <section ref={section} class="replay-steps" aria-label={`Replay of conversation ${props.conversation}`} data-testid="replay-steps">
      <h2>Replay of {props.conversation}</h2>
      {replays === 'loading' ? (
        <p class="muted">Replaying on the node…</p>
      ) : (
        <>
          <p class="muted">
            Each agent's deployed version ran again on what the node's log recorded; nothing was sent or written.{' '}
            {replays
              .filter((r) => r.replay)
              .map(
                (r) =>
                  `${r.agent.split('@')[0]}: ${r.replay!.steps.length} of ${r.replay!.recorded} handlings${r.replay!.truncated ? ' (first ones)' : ''}`,
              )
              .join(' · ')}
          </p>
          {replays
            .filter((r) => r.error)
            .map((r) => (
              <p key={r.agent} class="error" role="alert">
                {r.agent.split('@')[0]}: {r.error}
              </p>
            ))}
          {steps.length === 0 ? <p class="muted">No handling of this conversation in the node's log.</p> : null}
          <ol>
            {steps.map((s) => (
              <StepView key={`${s.agent}-${s.work}`} step={s} />
            ))}
          </ol>
        </>
      )}
      <button type="button" onClick={props.onClose}>
        Close
      </button>
    </section>
  );
}
