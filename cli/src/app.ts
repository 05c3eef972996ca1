/**
 * The `caxton` command line: global options, the command set, and `run()` which turns one
 * invocation into output and an exit code. yargs' own output (help, completion scripts) is
 * captured through the parse callback so `run()` works the same in-process (tests) and for real.
 * Every command module imported here is its flags and a handler that imports what it needs when it
 * runs: `caxton --help` loads yargs, core and the CLI, never the client, the node or the sandbox
 * (decision 1780; test/cli/cli-startup.test.ts holds it).
 */
import { readFileSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';
import { explain, UsageError } from './cli-error.js';
import { DEFAULT_ADDR, DEFAULT_DATA_DIR, type GlobalArgs } from './global-args.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import type { AppEnv } from './action.js';
import { agentsCommand } from './commands/agents.js';
import { topCommand } from './commands/top.js';
import { replayCommand } from './commands/replay.js';
import { buildCommand } from './commands/build.js';
import { deployCommand, upgradeCommand } from './commands/deploy.js';
import { applyCommand, deleteCommand, diffCommand } from './commands/apply.js';
import { devCommand } from './commands/dev.js';
import { testCommand } from './commands/test.js';
import { logsCommand } from './commands/logs.js';
import { sendCommand } from './commands/send.js';
import { newCommand } from './commands/new.js';
import { sdkCommand } from './commands/sdk.js';
import { toolchainCommand } from './commands/toolchain.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { stopCommand } from './commands/stop.js';
import { rollbackCommand } from './commands/rollback.js';
import { scaleCommand } from './commands/scale.js';
import { pushCommand } from './commands/push.js';
import { tailCommand } from './commands/tail.js';
import { stateCommand } from './commands/state.js';
import { fsCommand } from './commands/fs.js';
import { assetsCommand } from './commands/assets.js';
import { dlqCommand } from './commands/dlq.js';
import { topicsCommand } from './commands/topics.js';
import { auditCommand } from './commands/audit.js';
import { freezeCommand, resumeCommand, suspendCommand, thawCommand } from './commands/kill-switch.js';
import { keygenCommand } from './commands/keygen.js';
import { signCommand } from './commands/sign.js';
import { tokenCommand } from './commands/token.js';
import { contextCommand } from './commands/context.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

export function globalOptions(y: Argv, io: Io): Argv<GlobalArgs> {
  return (
    y
      // The settings a named context can supply have no yargs default, so connection-precedence.ts
      // can tell a flag from nothing: flag > environment > --context > current context > default.
      .option('addr', {
        type: 'string',
        defaultDescription: `$CAXTON_ADDR, else the context's, else ${DEFAULT_ADDR}`,
        describe: 'Address of the runtime API (host:port)',
        global: true,
      })
      .option('context', {
        type: 'string',
        describe: 'Talk to the node of this named context, for this call (see `caxton context`)',
        global: true,
      })
      .option('token', {
        type: 'string',
        default: io.env.CAXTON_TOKEN,
        defaultDescription: "$CAXTON_TOKEN, else the context's token file, else <data-dir>/auth-token",
        describe: 'Bearer token for the API (discouraged: visible in ps and shell history; use --token-file or CAXTON_TOKEN)',
        global: true,
      })
      .option('token-file', {
        type: 'string',
        describe: "Read the bearer token from this file (0600); default: the context's token file",
        global: true,
      })
      .option('insecure', {
        type: 'boolean',
        default: false,
        describe: 'Allow sending the token without TLS to a non-loopback address',
        global: true,
      })
      .option('data-dir', {
        type: 'string',
        defaultDescription: `$CAXTON_DATA_DIR or ./${DEFAULT_DATA_DIR}`,
        describe: "The node's data directory (where serve keeps its state and auth-token)",
        global: true,
      })
      .option('tls', {
        type: 'boolean',
        defaultDescription: "the context's, else off",
        describe: 'Connect with TLS (implied by --tls-ca/--tls-cert)',
        global: true,
      })
      .option('tls-ca', {
        type: 'string',
        describe: "CA certificate that signed the server certificate; default: the context's",
        global: true,
      })
      .option('tls-cert', { type: 'string', describe: 'Client certificate, for mutual TLS', global: true, implies: 'tls-key' })
      .option('tls-key', { type: 'string', describe: 'Client private key, for mutual TLS', global: true, implies: 'tls-cert' })
      .option('tls-server-name', {
        type: 'string',
        describe: "Expected name in the server certificate, if not the --addr host; default: the context's",
        global: true,
      })
      .option('timeout', { type: 'number', default: 30, describe: 'Seconds to wait for an answer', global: true })
      .option('json', {
        type: 'boolean',
        defaultDescription: "the context's output, else off",
        describe: 'Print machine-readable JSON (NDJSON for streams); --no-json for text',
        global: true,
      })
      .group(
        [
          'addr',
          'context',
          'token',
          'token-file',
          'insecure',
          'data-dir',
          'tls',
          'tls-ca',
          'tls-cert',
          'tls-key',
          'tls-server-name',
          'timeout',
          'json',
          'help',
          'version',
        ],
        'Global options:',
      ) as unknown as Argv<GlobalArgs>
  );
}

export function buildParser(env: AppEnv): Argv {
  const y = globalOptions(yargs().scriptName('caxton'), env.io)
    .usage('$0 <command> [options]\n\nManage a Caxton runtime: WebAssembly agents talking FIPA ACL.')
    .command(serveCommand(env))
    .command(newCommand(env))
    .command(buildCommand(env))
    .command(keygenCommand(env))
    .command(signCommand(env))
    .command(deployCommand(env))
    .command(pushCommand(env))
    .command(applyCommand(env))
    .command(diffCommand(env))
    .command(deleteCommand(env))
    .command(upgradeCommand(env))
    .command(devCommand(env))
    .command(testCommand(env))
    .command(rollbackCommand(env))
    .command(scaleCommand(env))
    .command(agentsCommand(env))
    .command(topCommand(env))
    .command(replayCommand(env))
    .command(sendCommand(env))
    .command(tailCommand(env))
    .command(logsCommand(env))
    .command(stopCommand(env))
    .command(stateCommand(env))
    .command(fsCommand(env))
    .command(assetsCommand(env))
    .command(dlqCommand(env))
    .command(topicsCommand(env))
    .command(freezeCommand(env))
    .command(thawCommand(env))
    .command(suspendCommand(env))
    .command(resumeCommand(env))
    .command(statusCommand(env))
    .command(auditCommand(env))
    .command(tokenCommand(env))
    .command(contextCommand(env))
    .command(sdkCommand(env))
    .command(toolchainCommand(env))
    .completion('completion', 'Print a bash/zsh completion script (caxton completion >> ~/.bashrc)')
    .example('$0 serve', 'run a node with on-disk storage in ./.caxton')
    .example('$0 deploy examples/as-echo --name echo', 'build and deploy an agent')
    .example('$0 send echo request "hello"', 'send it a message')
    .example('$0 tail --agent echo', 'watch its conversations')
    .example('$0 dev examples/as-echo', 'edit-run loop: rebuild and upgrade on every save')
    .example('$0 --context staging agents', 'the agents of the node saved as context staging')
    .epilogue(
      'Exit codes: 0 ok, 1 failure, 2 usage/invalid argument, 3 not found, 4 runtime unreachable, 5 authentication, 6 conflict, 7 too large/busy, 130 interrupted. See docs/cli.md.',
    )
    .demandCommand(1, 'give a command (see caxton --help)')
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, env.io.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      // yargs reports its own validation problems as a message (a missing flag value as a YError),
      // and re-throws ours.
      if (error !== undefined && error !== null && error.name !== 'YError') throw error;
      throw new UsageError(message ?? error?.message ?? 'invalid arguments', 'see `caxton --help`, or `caxton <command> --help`');
    });
  return y;
}

/** Runs one invocation; resolves with the exit code. Never throws. */
export async function run(args: readonly string[], io: Io): Promise<number> {
  const env: AppEnv = { io, exitCode: EXIT.OK, ctx: undefined };
  try {
    await buildParser(env).parseAsync([...args], {}, (_err, _argv, output) => {
      if (output) io.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
    });
    return env.exitCode;
  } catch (err) {
    const explained = await explain(err, env.ctx?.facts);
    io.stderr.write(explained.text);
    return explained.exitCode;
  } finally {
    env.ctx?.close();
  }
}
