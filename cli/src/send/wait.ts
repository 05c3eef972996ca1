/**
 * `caxton send … --wait`: open a tail on the conversation, wait until the node has subscribed it
 * (so no reply can slip past), send, print the conversation's messages as they arrive, and return
 * once the protocol has ended for every accepted receiver (ConversationWatch) or at --timeout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeAclJson, decodeAclString, type AclMessage, type MessageEvent, type SendResult } from '@caxton/core';
import type { SendCallOptions, SendInput } from '@caxton/client';

import { UsageError } from '../cli-error.js';
import type { CommandContext } from '../context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { formatMessageLine } from '../format/messages.js';
import { ConversationWatch, localName } from './conversation-watch.js';

/** The message as it will be sent, to know its conversation, protocol and opening act. */
function decoded(input: SendInput): AclMessage {
  if ('structured' in input) return input.structured;
  try {
    return 'json' in input ? decodeAclJson(input.json) : decodeAclString(input.fipa);
  } catch (err) {
    throw new UsageError(`--raw is not a valid ACL message: ${(err as Error).message.slice(0, 200)}`);
  }
}

/** Gives a structured message a conversation id when it has none; a raw one must carry its own. */
export function withConversation(
  input: SendInput,
  random = () => randomBytes(6).toString('hex'),
): { input: SendInput; message: AclMessage } {
  const message = decoded(input);
  if (message.conversationId !== undefined) return { input, message };
  if (!('structured' in input)) {
    throw new UsageError(
      "--wait follows the message's conversation, and this --raw message has no conversation-id",
      'add :conversation-id (FIPA) or "conversation-id" (JSON) to it',
    );
  }
  const structured = { ...message, conversationId: `cli-${random()}` };
  return { input: { structured }, message: structured };
}

/**
 * The conversation id given to a message without one. With an idempotency key it is derived from
 * the key: running the same command again must send the same message, or the node would refuse
 * the key as reused for a different one (decision 1700).
 */
function conversationSuffix(options: SendCallOptions): () => string {
  const key = options.idempotencyKey;
  if (key === undefined) return () => randomBytes(6).toString('hex');
  return () => createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12);
}

export async function sendAndWait(ctx: CommandContext, original: SendInput, options: SendCallOptions = {}): Promise<ExitCode> {
  const { input, message } = withConversation(original, conversationSuffix(options));
  const client = await ctx.client();
  const seen: MessageEvent[] = [];
  let watch: ConversationWatch | undefined;
  let resolveEnd: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (resolveEnd = resolve));
  const show = (e: MessageEvent): void => {
    if (!watch!.observe(e)) return;
    if (ctx.args.json) ctx.printJsonLine(e);
    else ctx.print(`${formatMessageLine(e)}\n`);
    if (watch!.finished) resolveEnd();
  };
  const tail = client.tail({ conversationId: message.conversationId! }, (e) => (watch ? show(e) : seen.push(e)));
  try {
    await tail.ready;
    const result: SendResult = await client.send(input, options);
    if (ctx.args.json) ctx.printJsonLine({ sent: result });
    else ctx.note(`sent ${result.messageId} (conversation ${message.conversationId}); waiting for the replies…`);
    for (const r of result.refused) ctx.note(`caxton: not delivered to ${r.receiver}: ${r.reason}`);
    if (result.accepted.length === 0) return result.refused.length > 0 ? EXIT.NOT_FOUND : EXIT.OK;
    watch = new ConversationWatch(localName(message.sender?.name ?? 'operator'), result.accepted, message.protocol, message.performative);
    for (const e of seen.splice(0)) show(e);
    if (watch.finished) return EXIT.OK;
    const timeoutMs = ctx.args.timeout * 1000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([ended.then(() => 'ended' as const), timedOut, tail.done.then(() => 'closed' as const)]);
    clearTimeout(timer);
    if (outcome === 'ended') return EXIT.OK;
    const open = watch.pending().join(', ');
    ctx.note(
      outcome === 'timeout'
        ? `caxton: the conversation had not ended after ${ctx.args.timeout} s; still waiting on: ${open}`
        : `caxton: the node closed the stream before the conversation ended; still waiting on: ${open}`,
    );
    ctx.note('  hint: raise --timeout, or follow it with `caxton tail -c <conversation-id>`');
    return EXIT.TIMEOUT;
  } finally {
    tail.cancel();
  }
}
