/**
 * What every command of one invocation shares (its environment) and the wrapper that runs a
 * command's body. Apart from app.ts, which builds the command set, so the commands import this and
 * not the app that imports them (decision 1702).
 */
import type { CommandContext, GlobalArgs } from './context.js';
import type { GivenGlobalArgs } from './global-args.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';

/** Shared by the commands of one invocation. */
export interface AppEnv {
  io: Io;
  /** Set by the command that ran. */
  exitCode: number;
  ctx: CommandContext | undefined;
}

export interface ActionOptions {
  /**
   * false for a command that never talks to a node (serve, build, keygen…): no named context is
   * read for it, and `--context` is refused rather than ignored.
   */
  connects?: boolean;
}

/**
 * Wraps a command body: decides its connection settings from flags, environment and named contexts
 * (connection-precedence.ts), builds its context and records its exit code.
 */
export function action<A extends GlobalArgs>(
  env: AppEnv,
  body: (ctx: CommandContext, argv: A) => Promise<number | void>,
  options: ActionOptions = {},
): (argv: A) => Promise<void> {
  return async (argv) => {
    // The context brings the API client (@caxton/client, gRPC): loaded when a command runs, never
    // for --help or a usage error (decision 1780).
    const { openCommandContext } = await import('./context.js');
    const command = String((argv as { _?: unknown[] })._?.[0] ?? 'this command');
    const ctx = await openCommandContext(env.io, argv as GivenGlobalArgs, options.connects ?? true, command);
    env.ctx = ctx;
    env.exitCode = (await body(ctx, { ...argv, ...ctx.args })) ?? EXIT.OK;
  };
}

/** `action` for a command that never talks to a node (see ActionOptions.connects). */
export function localAction<A extends GlobalArgs>(
  env: AppEnv,
  body: (ctx: CommandContext, argv: A) => Promise<number | void>,
): (argv: A) => Promise<void> {
  return action(env, body, { connects: false });
}
