/**
 * Runs an A2A task as a FIPA conversation (decision 1950): the message's text is a `request` to the
 * agent in a fresh conversation (`a2a-<task id>`), sent as the caller through the audited control
 * surface and followed with the shared follower (../conversation, the tail open before the send).
 * The agent's replies move the task (task-state.ts): `agree` → working, `inform` → completed with
 * the content as an artifact, `failure` → failed, `refuse`/`not-understood` → rejected, with the
 * agent's words as the status message. `tasks/cancel` sends FIPA `cancel` in that conversation and
 * ends the task canceled.
 */
import { randomUUID } from 'node:crypto';
import { TaskState, type Message, type Part } from '@a2a-js/sdk';
import { AgentEvent, type AgentExecutor, type ExecutionEventBus, type RequestContext, type User } from '@a2a-js/sdk/server';
import { TaskNotCancelableError } from '@a2a-js/sdk/errors';
import { CaxtonError, DEFAULT_ACL_LIMITS, type NodeControl, type Principal } from '@caxton/core';
import { requestAndFollow, unansweredText } from '../conversation/index.js';
import { taskStateFor } from './task-state.js';
import type { InFlightSlot } from './in-flight-slots.js';

/** Who calls, as the SDK carries it to the executor: the principal, the agent its URL names, and how to send as the caller. */
export class CaxtonA2aUser implements User {
  constructor(
    readonly principal: Principal,
    /** The local name of the agent the request's URL names. */
    readonly agent: string,
    /** Sends as the caller (the audited control surface). */
    readonly sender: NodeControl,
    readonly lane: 'operator' | 'client',
    /** The token's fingerprint: tasks are kept per agent and per token. */
    readonly tokenFingerprint: string,
    /** A send's in-flight slot, taken when it was authorized; its execution claims it and releases it at its end. */
    readonly slot?: InFlightSlot,
  ) {}
  get isAuthenticated(): boolean {
    return true;
  }
  get userName(): string {
    return `${this.agent} ${this.tokenFingerprint}`;
  }
}

interface RunningTask {
  agent: string;
  contextId: string;
  conversationId: string;
  sender: NodeControl;
  lane: 'operator' | 'client';
  stop: AbortController;
  /** Set while a cancel is being sent: whether it was (the agent may answer the cancel itself meanwhile). */
  canceling?: Promise<boolean>;
}

function textPart(text: string): Part {
  return { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' };
}

export function agentMessage(taskId: string, contextId: string, text: string): Message {
  return {
    messageId: randomUUID(),
    contextId,
    taskId,
    role: 2 /* ROLE_AGENT */,
    parts: [textPart(text)],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** The message's text parts, joined; undefined when it has none (files and data are not FIPA content here). */
export function messageText(m: Message): string | undefined {
  const texts = m.parts.flatMap((p) => (p.content?.$case === 'text' ? [p.content.value] : []));
  return texts.length === 0 ? undefined : texts.join('\n');
}

export interface FipaTaskExecutorOptions {
  /** Where conversations are read (the tail). */
  control: NodeControl;
  /** How long a task waits for the agent's answer before it fails. */
  timeoutMs: number;
}

export class FipaTaskExecutor implements AgentExecutor {
  private readonly running = new Map<string, RunningTask>();

  constructor(private readonly o: FipaTaskExecutorOptions) {}

  execute = async (ctx: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const user = ctx.context.user;
    if (!(user instanceof CaxtonA2aUser)) throw new Error('an A2A call reached the executor without its Caxton caller');
    const { taskId, contextId } = ctx;
    // The slot the endpoint took for this send: held until this execution ends, whatever way it ends.
    const slot = user.slot;
    if (slot && !slot.claim()) {
      // The request failed or was cut while the SDK prepared it: its slot is back, so nothing is sent.
      bus.publish(
        AgentEvent.message(agentMessage(taskId, contextId, `the request ended before its task began: nothing was sent to ${user.agent}`)),
      );
      return;
    }
    try {
      await this.run(ctx, bus, user);
    } finally {
      slot?.release();
    }
  };

  private async run(ctx: RequestContext, bus: ExecutionEventBus, user: CaxtonA2aUser): Promise<void> {
    const { taskId, contextId } = ctx;
    const status = (state: TaskState, text?: string) =>
      AgentEvent.statusUpdate({
        taskId,
        contextId,
        metadata: undefined,
        status: {
          state,
          message: text === undefined ? undefined : agentMessage(taskId, contextId, text),
          timestamp: new Date().toISOString(),
        },
      });
    if (ctx.task) {
      // A Caxton task is one FIPA request: it takes no second message (its states never ask for
      // input). The endpoint refuses such a send before the SDK sees it (namesATask); this answers
      // one that got here anyway, without touching the task.
      bus.publish(
        AgentEvent.message(
          agentMessage(
            taskId,
            contextId,
            `task ${taskId} is already ${ctx.task.status?.state === TaskState.TASK_STATE_WORKING ? 'working' : 'under way'}: each task is one FIPA request to ${user.agent}; send a new message without a taskId for another`,
          ),
        ),
      );
      return;
    }
    const conversationId = `a2a-${taskId}`;
    bus.publish(
      AgentEvent.task({
        id: taskId,
        contextId,
        artifacts: [],
        history: [ctx.userMessage],
        status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() },
        metadata: { caxton: { agent: user.agent, conversationId } },
      }),
    );
    const content = messageText(ctx.userMessage);
    if (content === undefined) {
      bus.publish(status(TaskState.TASK_STATE_REJECTED, "the message has no text part: its text is the FIPA request's content"));
      return;
    }
    if (Buffer.byteLength(content) > DEFAULT_ACL_LIMITS.maxContentBytes) {
      bus.publish(
        status(
          TaskState.TASK_STATE_REJECTED,
          `the message's text is larger than ${DEFAULT_ACL_LIMITS.maxContentBytes} bytes, the most a FIPA message's content may hold: send less in one message`,
        ),
      );
      return;
    }
    const run: RunningTask = {
      agent: user.agent,
      contextId,
      conversationId,
      sender: user.sender,
      lane: user.lane,
      stop: new AbortController(),
    };
    this.running.set(taskId, run);
    try {
      const outcome = await requestAndFollow({
        control: this.o.control,
        sender: user.sender,
        lane: user.lane,
        agent: user.agent,
        content,
        conversationId,
        timeoutMs: this.o.timeoutMs,
        signal: run.stop.signal,
        onStep: (e) => {
          if (taskStateFor(e.message.performative) === TaskState.TASK_STATE_WORKING) {
            bus.publish(status(TaskState.TASK_STATE_WORKING, e.message.content || `${user.agent} agreed`));
          }
        },
      });
      if (outcome.kind === 'stopped') return; // canceled: cancelTask published the final state
      // The agent may answer the cancel (or the request) while the cancel is being sent: the cancel wins once sent.
      if (run.canceling && (await run.canceling)) return;
      if (outcome.kind !== 'answered') {
        bus.publish(
          status(TaskState.TASK_STATE_FAILED, unansweredText(outcome, { agent: user.agent, conversationId, timeoutMs: this.o.timeoutMs })),
        );
        return;
      }
      const m = outcome.event.message;
      const state = taskStateFor(m.performative) ?? TaskState.TASK_STATE_FAILED;
      const text = m.content ?? '';
      if (state === TaskState.TASK_STATE_COMPLETED) {
        bus.publish(
          AgentEvent.artifactUpdate({
            taskId,
            contextId,
            append: false,
            lastChunk: true,
            metadata: undefined,
            artifact: {
              artifactId: outcome.event.messageId,
              name: 'reply',
              description: `${user.agent}'s ${m.performative}`,
              parts: [textPart(text)],
              metadata: { performative: m.performative, conversationId },
              extensions: [],
            },
          }),
        );
        bus.publish(status(state, text));
      } else {
        bus.publish(status(state, text !== '' ? text : `${user.agent} answered ${m.performative}`));
      }
    } catch (err) {
      if (!(err instanceof CaxtonError)) throw err;
      // The node refused the send (overload, quota, audit trail): the task fails with its words.
      bus.publish(status(TaskState.TASK_STATE_FAILED, err.hint ? `${err.message} (${err.hint})` : err.message));
    } finally {
      this.running.delete(taskId);
    }
  }

  cancelTask = async (taskId: string, bus: ExecutionEventBus): Promise<void> => {
    const run = this.running.get(taskId);
    if (!run) throw new TaskNotCancelableError(`task ${taskId} is not waiting for its agent any more`);
    // Sent first: if the node refuses it, the agent is still at work and the task is not canceled.
    const sending = run.sender.send(
      {
        performative: 'cancel',
        receivers: [{ name: run.agent }],
        protocol: 'fipa-request',
        conversationId: run.conversationId,
        inReplyTo: `${run.conversationId}-req`,
      },
      { lane: run.lane },
    );
    let refused: unknown;
    run.canceling = sending.then(
      () => true,
      (err: unknown) => {
        refused = err;
        return false;
      },
    );
    // Awaited here before execute can await it (it does so only once an answer came), so the
    // canceled state is published before execute returns and the handler closes the task's bus.
    if (!(await run.canceling)) {
      run.canceling = undefined;
      throw refused;
    }
    this.running.delete(taskId);
    bus.publish(
      AgentEvent.statusUpdate({
        taskId,
        contextId: run.contextId,
        metadata: undefined,
        status: {
          state: TaskState.TASK_STATE_CANCELED,
          timestamp: new Date().toISOString(),
          message: agentMessage(taskId, run.contextId, `canceled: FIPA cancel sent to ${run.agent} in conversation ${run.conversationId}`),
        },
      }),
    );
    run.stop.abort();
  };
}
