/**
 * `caxton test [dir]`: run the scenario files of an agent project against a node of its own, TAP
 * or JUnit output, non-zero exit on a failure (decisions 1930, 2030). This module is the command's flags only;
 * what it does is test-run.ts, imported when it runs. With `--from-log` it writes a scenario from
 * a conversation in an agent's log instead (issue 57): test-from-log.ts.
 */
import type { Argv, CommandModule } from 'yargs';
import { localAction, type AppEnv } from '../action.js';
import { UsageError } from '../cli-error.js';
import type { GlobalArgs } from '../context.js';
import { REPORTERS } from '../scenario/reporters.js';
import type { FromLogFlags } from './test-from-log.js';
import type { TestArgs } from './test-run.js';

type Args = TestArgs & FromLogFlags;

/** The flags that only mean something with `--from-log`. */
const FROM_LOG_ONLY = ['agent', 'input', 'out', 'force'] as const;

export function testCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'test [dir]',
    describe:
      'Build the project and run its scenarios (scenarios/*.json: messages to send, replies and state expected, agents beside it, a virtual clock) on a node of its own; TAP or JUnit output, exit 1 on a failure',
    builder: (y) =>
      y
        .positional('dir', { type: 'string', default: '.', describe: 'The agent project directory' })
        .option('scenario', {
          type: 'string',
          array: true,
          describe: 'Run these scenario files instead of <dir>/scenarios/*.json (repeatable)',
        })
        .option('name', { type: 'string', describe: "Agent name to deploy under; default: the project's artifact name" })
        .option('reporter', {
          type: 'string',
          choices: REPORTERS,
          default: 'tap',
          describe: 'tap: TAP 13, a line per step; junit: JUnit XML, a testcase per scenario',
        })
        .example('$0 test', 'every scenario of the project in this directory')
        .example('$0 test --reporter junit > caxton-test.xml', 'JUnit XML for a CI system')
        .example('$0 test my-agent --scenario my-agent/scenarios/counts.json --timeout 5', 'one scenario, 5 s for each reply')
        .option('from-log', {
          type: 'string',
          describe:
            "Instead of running scenarios: write one that replays this conversation of --agent's recorded traffic (the --data-dir's log, or --input)",
        })
        .option('agent', { type: 'string', describe: 'With --from-log: the agent whose log holds the conversation' })
        .option('input', {
          type: 'string',
          describe: 'With --from-log: read the history from this export file (caxton replay --export) instead of the data directory',
        })
        .option('out', {
          type: 'string',
          describe: 'With --from-log: the scenario file to write; default <dir>/scenarios/from-log-<conversation>.json',
        })
        .option('force', { type: 'boolean', default: false, describe: 'With --from-log: replace an existing scenario file' })
        .example(
          '$0 test --from-log 7010dfd9 --agent counter --data-dir ./data',
          "a scenario of the counter's conversation 7010dfd9, as it happened, in ./scenarios",
        ) as unknown as Argv<Args>,
    handler: localAction<Args>(env, async (ctx, argv) => {
      if (argv.fromLog !== undefined) return (await import('./test-from-log.js')).runFromLog(ctx, { ...argv, fromLog: argv.fromLog });
      const stray = FROM_LOG_ONLY.find((f) => (f === 'force' ? argv.force : argv[f] !== undefined));
      if (stray !== undefined)
        throw new UsageError(
          `--${stray} only goes with --from-log`,
          'caxton test --from-log <conversation> --agent <name> writes a scenario from a log',
        );
      return (await import('./test-run.js')).runTest(ctx, argv);
    }),
  };
}
