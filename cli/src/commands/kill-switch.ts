/**
 * The kill switch (decision 1403): `caxton freeze` / `caxton thaw` for this node or, with
 * `--cluster`, every node; `caxton suspend <agent>` / `caxton resume <agent>` for one agent.
 */
import type { CommandModule } from 'yargs';
import { action, type AppEnv } from '../action.js';
import type { GlobalArgs } from '../context.js';
import { formatKillSwitch } from '../format/status.js';

type ScopeArgs = GlobalArgs & { cluster: boolean };
type AgentArgs = GlobalArgs & { agent: string };

export function freezeCommand(env: AppEnv): CommandModule<GlobalArgs, ScopeArgs> {
  return {
    command: 'freeze',
    describe: 'Stop all agent code on this node (or --cluster: every node); messages are still accepted and kept',
    builder: (y) =>
      y
        .option('cluster', {
          type: 'boolean',
          default: false,
          describe: 'Freeze every node of the cluster (kept in etcd; nodes joining later start frozen)',
        })
        .example('$0 freeze', 'returns once nothing runs on this node any more')
        .example('$0 freeze --cluster', 'the whole cluster, through any one node'),
    handler: action<ScopeArgs>(env, async (ctx, argv) => {
      const res = await (await ctx.client()).freeze(argv.cluster);
      if (ctx.args.json) ctx.printJson(res);
      else
        ctx.print(
          `frozen (${argv.cluster ? 'cluster' : 'this node'}): the batches in flight finished after ${res.drainedMs} ms, no agent code runs\n${formatKillSwitch(res.status)}\n`,
        );
    }),
  };
}

export function thawCommand(env: AppEnv): CommandModule<GlobalArgs, ScopeArgs> {
  return {
    command: 'thaw',
    describe: 'Undo `caxton freeze`: agents handle what waited, timers that fell due fire',
    builder: (y) =>
      y
        .option('cluster', {
          type: 'boolean',
          default: false,
          describe: 'Thaw the cluster-wide freeze (a node frozen by itself stays frozen)',
        })
        .example('$0 thaw', 'this node'),
    handler: action<ScopeArgs>(env, async (ctx, argv) => {
      const res = await (await ctx.client()).thaw(argv.cluster);
      if (ctx.args.json) ctx.printJson(res);
      else ctx.print(`thawed (${argv.cluster ? 'cluster' : 'this node'})\n${formatKillSwitch(res.status)}\n`);
    }),
  };
}

export function suspendCommand(env: AppEnv): CommandModule<GlobalArgs, AgentArgs> {
  return {
    command: 'suspend <agent>',
    describe: 'Hold one agent: its messages wait in its mailbox until `caxton resume` (survives restarts and moves)',
    builder: (y) =>
      y
        .positional('agent', { type: 'string', demandOption: true, describe: 'Name of the agent' })
        .example('$0 suspend spammer', 'returns once its handling in flight finished'),
    handler: action<AgentArgs>(env, async (ctx, argv) => {
      const agent = await (await ctx.client()).suspend(argv.agent);
      if (ctx.args.json) ctx.printJson(agent);
      else ctx.print(`suspended ${agent.name} (${agent.mailboxDepth} messages waiting)\n`);
    }),
  };
}

export function resumeCommand(env: AppEnv): CommandModule<GlobalArgs, AgentArgs> {
  return {
    command: 'resume <agent>',
    describe: 'Undo `caxton suspend`: the agent handles what waited, in order',
    builder: (y) =>
      y.positional('agent', { type: 'string', demandOption: true, describe: 'Name of the agent' }).example('$0 resume spammer', ''),
    handler: action<AgentArgs>(env, async (ctx, argv) => {
      const agent = await (await ctx.client()).resume(argv.agent);
      if (ctx.args.json) ctx.printJson(agent);
      else ctx.print(`resumed ${agent.name} (${agent.state}, ${agent.mailboxDepth} messages waiting)\n`);
    }),
  };
}
