/**
 * What every command of one invocation shares (its environment) and the wrapper that runs a
 * command's body. Apart from app.ts, which builds the command set, so the commands import this and
 * not the app that imports them (decision 1702).
 */
import type { CommandContext, GlobalArgs } from './context.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';

/** Shared by the commands of one invocation. */
export interface AppEnv {
  io: Io;
  /** Set by the command that ran. */
  exitCode: number;
  ctx: CommandContext | undefined;
}

/** Wraps a command body: builds its context from the global options and records its exit code. */
export function action<A extends GlobalArgs>(env: AppEnv, body: (ctx: CommandContext, argv: A) => Promise<number | void>): (argv: A) => Promise<void> {
  return async (argv) => {
    // The context brings the API client (@caxton/client, gRPC): loaded when a command runs, never
    // for --help or a usage error (decision 1780).
    const { CommandContext } = await import('./context.js');
    const ctx = new CommandContext(env.io, argv);
    env.ctx = ctx;
    env.exitCode = (await body(ctx, argv)) ?? EXIT.OK;
  };
}
