/**
 * `caxton send <agent> <performative> <content>`: put one ACL message on the bus, as the operator.
 * `--raw` sends a complete message written by hand (JSON or the FIPA string form) instead.
 */
import type { CommandModule } from 'yargs';
import { IDEMPOTENCY_KEY_HINT, idempotencyKeyProblem, isPriority, PRIORITIES, PRIORITY_PARAM, type AclMessage } from '@caxton/core';
import type { SendCallOptions, SendInput } from '@caxton/client';
import { action, type AppEnv } from '../action.js';
import { UsageError } from '../cli-error.js';
import type { GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { parsePerformative, parseRawMessage, parseReplyBy, parseUserParams } from '../parse.js';
import { sendAndWait } from '../send/wait.js';

export type SendArgs = GlobalArgs & {
  agent?: string;
  performative?: string;
  content?: string;
  conversationId?: string;
  protocol?: string;
  replyWith?: string;
  inReplyTo?: string;
  language?: string;
  ontology?: string;
  replyBy?: string;
  param: string[];
  raw?: string;
  wait?: boolean;
  idempotencyKey?: string;
  retryFor?: number;
  priority?: string;
};

/** The command line → what SendMessage gets. Exposed for unit tests. */
export function sendInput(argv: SendArgs, now: number): SendInput {
  const fields = ['agent', 'performative', 'content'] as const;
  if (argv.raw !== undefined) {
    const extra = fields.filter((f) => argv[f] !== undefined);
    if (extra.length > 0) throw new UsageError(`--raw carries the whole message; drop ${extra.map((f) => `<${f}>`).join(' ')}`);
    if (argv.priority !== undefined)
      throw new UsageError(
        '--raw carries the whole message; drop --priority',
        `put "userParams": {"${PRIORITY_PARAM}": "${argv.priority}"} (or :${PRIORITY_PARAM} in the FIPA form) in the message`,
      );
    return parseRawMessage(argv.raw);
  }
  const missing = fields.filter((f) => argv[f] === undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `missing ${missing.map((f) => `<${f}>`).join(' ')}`,
      'usage: caxton send <agent> <performative> <content>, or caxton send --raw <message>',
    );
  }
  const message: AclMessage = {
    performative: parsePerformative(argv.performative!),
    receivers: argv
      .agent!.split(',')
      .map((name) => ({ name: name.trim() }))
      .filter((r) => r.name !== ''),
    content: argv.content!,
  };
  if (argv.conversationId !== undefined) message.conversationId = argv.conversationId;
  if (argv.protocol !== undefined) message.protocol = argv.protocol;
  if (argv.replyWith !== undefined) message.replyWith = argv.replyWith;
  if (argv.inReplyTo !== undefined) message.inReplyTo = argv.inReplyTo;
  if (argv.language !== undefined) message.language = argv.language;
  if (argv.ontology !== undefined) message.ontology = argv.ontology;
  if (argv.replyBy !== undefined) message.replyBy = parseReplyBy(argv.replyBy, now);
  const params = parseUserParams(argv.param);
  if (argv.priority !== undefined) {
    if (!isPriority(argv.priority))
      throw new UsageError(
        `--priority takes ${PRIORITIES.join(', ')}, got ${JSON.stringify(argv.priority.slice(0, 40))}`,
        'leave it out for normal',
      );
    if (Object.keys(params).some((k) => k.toLowerCase() === PRIORITY_PARAM.toLowerCase())) {
      throw new UsageError(`--priority and --param ${PRIORITY_PARAM}=… both set the priority; keep one`);
    }
    // Normal is what no parameter means: leave the message as it would be without the flag.
    if (argv.priority !== 'normal') params[PRIORITY_PARAM] = argv.priority;
  }
  if (Object.keys(params).length > 0) message.userParams = params;
  return { structured: message };
}

/** Longest `--retry-for`: an hour. */
const MAX_RETRY_FOR_S = 3600;

/**
 * `--idempotency-key` and `--retry-for` → the client's send options; a bad value is a usage error
 * before dialling.
 */
export function sendOptions(argv: Pick<SendArgs, 'idempotencyKey' | 'retryFor'>): SendCallOptions {
  const options: SendCallOptions = {};
  if (argv.retryFor !== undefined) {
    if (!(Number.isFinite(argv.retryFor) && argv.retryFor >= 0 && argv.retryFor <= MAX_RETRY_FOR_S)) {
      throw new UsageError(
        `--retry-for takes seconds from 0 to ${MAX_RETRY_FOR_S}, got ${argv.retryFor}`,
        '0 gives an overload refusal back at once',
      );
    }
    options.overloadRetryMs = Math.round(argv.retryFor * 1000);
  }
  const key = argv.idempotencyKey;
  if (key === undefined) return options;
  if (key === '') throw new UsageError('--idempotency-key is empty', IDEMPOTENCY_KEY_HINT);
  const problem = idempotencyKeyProblem(key);
  if (problem !== undefined) throw new UsageError(`--idempotency-key ${problem}`, IDEMPOTENCY_KEY_HINT);
  return { ...options, idempotencyKey: key };
}

export function sendCommand(env: AppEnv): CommandModule<GlobalArgs, SendArgs> {
  return {
    command: 'send [agent] [performative] [content]',
    describe: 'Send an ACL message to an agent (or several: a,b,c)',
    builder: (y) =>
      y
        .positional('agent', { type: 'string', describe: 'Receiver(s), comma-separated: echo or echo@platform' })
        .positional('performative', { type: 'string', describe: 'FIPA act: inform, request, query-ref, cfp, …' })
        .positional('content', { type: 'string', describe: 'Message content' })
        .option('conversation-id', { alias: 'c', type: 'string', describe: 'Conversation id' })
        .option('protocol', { alias: 'p', type: 'string', describe: 'Interaction protocol, e.g. fipa-request' })
        .option('reply-with', { type: 'string', describe: 'Expression the reply should quote in in-reply-to' })
        .option('in-reply-to', { type: 'string', describe: 'The reply-with of the message this answers' })
        .option('language', { type: 'string', describe: 'Content language' })
        .option('ontology', { type: 'string', describe: 'Content ontology' })
        .option('reply-by', { type: 'string', describe: 'Deadline: a duration from now (30s) or a date' })
        .option('param', { type: 'string', array: true, default: [] as string[], describe: 'User parameter X-name=value (repeatable)' })
        .option('priority', {
          type: 'string',
          describe: `Handling priority in the receiver's mailbox: ${PRIORITIES.join(', ')} (default normal; sets ${PRIORITY_PARAM})`,
        })
        .option('raw', { type: 'string', describe: 'A whole message instead: ACL JSON ({…}) or FIPA string ((inform …))' })
        .option('wait', {
          type: 'boolean',
          default: false,
          describe: 'Print the replies as they arrive and return when the conversation ends (or at --timeout, exit 8)',
        })
        .option('idempotency-key', {
          type: 'string',
          describe: 'Run the same command again (same key, same message) after an error and it is still sent once; ≤ 128 bytes',
        })
        .option('retry-for', {
          type: 'number',
          describe:
            'Seconds to keep sending again, after each retry-after, while the node refuses as overloaded (default 10; 0 = not at all)',
        })
        .example('$0 send echo request "hello" --wait', 'send, then show the answer')
        .example('$0 send echo request "hello"', 'ask echo to echo')
        .example('$0 send counter request increment --idempotency-key order-1842', 'safe to repeat: counted once')
        .example('$0 send worker request drain --priority high', 'handled before the normal and low messages waiting')
        .example('$0 send seller cfp "(price ?p)" -p fipa-contract-net -c deal-1 --reply-by 10s', 'open a contract net')
        .example(`$0 send --raw '{"performative":"inform","receiver":[{"name":"echo"}],"content":"hi"}'`, 'a message as JSON'),
    handler: action<SendArgs>(env, async (ctx, argv) => {
      const input = sendInput(argv, ctx.io.now());
      const options: SendCallOptions = {
        ...sendOptions(argv),
        onOverloadRetry: (waitMs, attempt) =>
          ctx.note(`caxton: the node is overloaded; sending again in ${waitMs} ms (attempt ${attempt + 1})`),
      };
      if (argv.wait) return sendAndWait(ctx, input, options);
      const result = await (await ctx.client()).send(input, options);
      if (ctx.args.json) ctx.printJson(result);
      else ctx.print(`${result.messageId}\n`);
      for (const r of result.refused) ctx.note(`caxton: not delivered to ${r.receiver}: ${r.reason}`);
      if (result.accepted.length === 0 && result.refused.length > 0) {
        ctx.note('  hint: list deployed agents with `caxton agents`');
        return EXIT.NOT_FOUND;
      }
      return EXIT.OK;
    }),
  };
}
