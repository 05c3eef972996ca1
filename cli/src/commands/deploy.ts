/**
 * `caxton deploy <artifact|dir>` and `caxton upgrade <agent> <artifact|dir>`: build if given a
 * project, then stream the component to the runtime with a progress bar on stderr.
 */
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { UploadHeader } from '@caxton/client';
import { action, type AppEnv } from '../action.js';
import { displayPath, loadArtifact, type ArtifactSourceOptions, type LoadedArtifact } from '../artifact-source.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatAgentDetail } from '../format/agents.js';
import { parseConfigPairs } from '../parse.js';
import { UsageError } from '../cli-error.js';
import { kindLimitOptions, kindLimitsFromFlags, limitFlagOptions, limitsFromFlags, type LimitFlagArgs } from '../limit-flags.js';
import { ProgressBar } from '../progress.js';
import { httpPolicyFromArgs, httpPolicyOptions, type HttpPolicyArgs } from '../http-policy-flags.js';
import { signatureToSend } from '../signing/signature-files.js';
import { readAssetsDir, withAssets } from '../files/component-assets.js';
import { rolloutFlagOptions, rolloutFromFlags, type RolloutFlagArgs } from '../rollout-flags.js';
import { replayGateFromFlags, type ReplayGateFlagArgs } from '../replay-gate-flags.js';
import { formatRollout } from '../format/agents.js';
import { a2aCardFromFlag } from '../a2a-card-flag.js';
import { ontologiesFromFlags } from '../ontology-flag.js';
import {
  checkNearName,
  DEFAULT_PRIORITY_CLASS,
  parseTopicPatternText,
  PRIORITY_CLASS_HINT,
  PRIORITY_CLASSES,
  TopicError,
  type PriorityClass,
} from '@caxton/core';

/**
 * Sends the artifact's signature along (decision 1400), saying on stderr where it came from: the
 * file given, the one beside the artifact, or the OCI artifact's own annotation (decision 2172).
 */
async function attachSignature(ctx: CommandContext, h: UploadHeader, artifact: LoadedArtifact, given: string | undefined): Promise<void> {
  if (given === undefined && artifact.signatureEnvelope !== undefined) {
    h.signatureEnvelope = artifact.signatureEnvelope;
    ctx.note(`signature: from ${artifact.display}`);
    return;
  }
  if (given === undefined && artifact.path.startsWith('oci://')) return; // pulled unsigned: nothing beside it
  const found = await signatureToSend(artifact.path, given === undefined ? undefined : path.resolve(ctx.io.cwd, given));
  if (!found) return;
  h.signatureEnvelope = found.envelope;
  ctx.note(`signature: ${displayPath(ctx.io.cwd, found.file)}`);
}

/** `--priority-class`, said wrong before anything is read or uploaded: only with --kind, one of the classes. */
function priorityClassFromFlag(argv: DeployArgs): PriorityClass | undefined {
  const given = argv.priorityClass;
  if (given === undefined) return undefined;
  if (argv.kind === undefined)
    throw new UsageError(
      '--priority-class applies to a kind: give --kind <name> too',
      'caxton deploy <source> --kind counter --priority-class high',
    );
  if (typeof given !== 'string' || !(PRIORITY_CLASSES as readonly string[]).includes(given))
    throw new UsageError(`--priority-class ${JSON.stringify(String(given).slice(0, 32))} is not a priority class`, PRIORITY_CLASS_HINT);
  return given as PriorityClass;
}

/**
 * `--assets <dir>` (decision 2192): the component with the directory's files in its assets section.
 * A signed component would no longer match its signature: refused, with how to sign what ships.
 */
async function attachAssets(
  ctx: CommandContext,
  artifact: LoadedArtifact,
  dir: string | undefined,
  signature: string | undefined,
): Promise<LoadedArtifact> {
  if (dir === undefined) return artifact;
  if (Array.isArray(dir)) throw new UsageError('--assets is given once', 'put every asset in one directory');
  const beside = artifact.path.startsWith('oci://') ? undefined : await signatureToSend(artifact.path, undefined);
  if (signature !== undefined || artifact.signatureEnvelope !== undefined || beside !== undefined)
    throw new UsageError(
      `--assets changes ${artifact.display}, so its signature would no longer match`,
      `embed them first (caxton assets embed ${artifact.display} ${dir} -o with-assets.wasm), sign with-assets.wasm, and deploy that`,
    );
  const files = await readAssetsDir(ctx.io.cwd, dir);
  ctx.note(`assets: ${files.length} file(s) from ${dir}, at /assets`);
  return { ...artifact, bytes: withAssets(artifact.bytes, files, artifact.display) };
}

/** `--language` wins over what the build recorded; the node checks the label's shape. */
function attachLanguage(h: UploadHeader, artifact: LoadedArtifact, given: string | undefined): void {
  const language = given ?? artifact.language;
  if (language !== undefined && language !== '') h.language = language;
}

interface LimitArgs extends LimitFlagArgs {
  registryTokenFile?: string;
  config: string[];
  quiet: boolean;
  signature?: string;
  language?: string;
  a2aCard?: string;
  /** `<name>=<schema.json>`, repeatable. */
  ontology?: string[];
  /** An array when the flag is repeated (refused). */
  topics?: string | string[];
  /** A directory shipped inside the component, read-only at /assets (decision 2192). */
  assets?: string;
}

type DeployArgs = GlobalArgs &
  LimitArgs &
  HttpPolicyArgs & {
    source: string;
    name?: string;
    keepState: boolean;
    kind?: string;
    priorityClass?: string;
    near?: string | string[];
  };
type UpgradeArgs = GlobalArgs &
  LimitArgs &
  HttpPolicyArgs &
  RolloutFlagArgs &
  ReplayGateFlagArgs & { agent: string; source: string; replaceConfig: boolean };

function limitOptions<T>(y: Argv<T>): Argv<T & LimitArgs & HttpPolicyArgs> {
  return (
    limitFlagOptions(httpPolicyOptions(y))
      .option('config', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'key=value passed to the agent init (repeatable)',
      })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress bar' })
      .option('registry-token-file', {
        type: 'string',
        describe: 'For an oci:// source: a file holding the registry bearer token (default: the Docker config file’s login)',
      })
      .option('signature', { type: 'string', describe: 'Detached signature (DSSE) to send; default: <artifact>.dsse.json when it exists' })
      .option('language', {
        type: 'string',
        describe: 'Source language label shown by `caxton agents` and the console; default: the one in <artifact>.build.json',
      })
      .option('a2a-card', {
        type: 'string',
        describe:
          'The A2A Agent Card (JSON) `caxton serve --a2a` serves for the agent, in place of the one built from its directory services; upgrade: default keep',
      })
      .option('ontology', {
        type: 'string',
        array: true,
        nargs: 1,
        describe:
          'An ontology the agent speaks, <name>=<schema.json> or <name>=<schema.xsd> (repeatable): a message naming it is checked against the JSON Schema, or as XML against the XML Schema, before the agent gets it; upgrade: default keep',
      })
      .option('assets', {
        type: 'string',
        nargs: 1,
        describe:
          'A directory of read-only files shipped inside the component, which the agent reads at /assets (WASI agents; replaces any the component had)',
      })
      // nargs 1: a bare `--topics` is a usage error, not "" (= no topic); none is said `--topics ''`.
      .option('topics', {
        type: 'string',
        nargs: 1,
        describe:
          'Topics the agent may subscribe to, comma-separated: names or prefixes ending in * ("orders.*,alerts"; "" = none); default: every topic (deploy) / keep (upgrade)',
      }) as unknown as Argv<T & LimitArgs & HttpPolicyArgs>
  );
}

function sourceOptions(argv: LimitArgs): ArtifactSourceOptions {
  return argv.registryTokenFile !== undefined ? { registryTokenFile: argv.registryTokenFile } : {};
}

/** Flags are checked before anything is built or read, so a typo fails fast. */
function header(name: string, argv: LimitArgs): UploadHeader {
  const h: UploadHeader = { name };
  const limits = limitsFromFlags(argv);
  if (limits) h.limits = limits;
  const config = parseConfigPairs(argv.config);
  if (Object.keys(config).length > 0) h.config = config;
  if (argv.topics !== undefined) h.topics = topicsFromFlag(argv.topics);
  return h;
}

/** `--near echo`: one agent name (or a kind's instance, which the node falls back from), checked here so a typo fails before the upload. */
function nearFromFlag(text: string | readonly string[]): string {
  if (typeof text !== 'string') throw new UsageError('--near is given more than once', 'name one agent, e.g. --near echo');
  try {
    return checkNearName(text, '--near');
  } catch (err) {
    throw new UsageError((err as Error).message, 'name one deployed agent: 1-128 characters of [A-Za-z0-9._-], e.g. --near echo');
  }
}

/** `--topics 'orders.*,alerts'`, checked by core's parser here so a typo fails before the upload (decision 2050). */
function topicsFromFlag(text: string | readonly string[]): readonly string[] {
  // Repeated, yargs hands over an array: one list is asked for, so a second flag is not a silent merge or override.
  if (typeof text !== 'string')
    throw new UsageError('--topics is given more than once', "give one comma-separated list, e.g. --topics 'orders.*,alerts'");
  try {
    return parseTopicPatternText(text, '--topics');
  } catch (err) {
    if (err instanceof TopicError) throw new UsageError(err.message, err.hint ?? "e.g. --topics 'orders.*,alerts'");
    throw err;
  }
}

/** Runs an upload with a progress bar. (Ctrl-C kills the process; the runtime discards the partial upload.) */
async function withProgress<T>(
  ctx: CommandContext,
  label: string,
  total: number,
  upload: (onProgress: (sent: number) => void) => Promise<T>,
  quiet: boolean,
): Promise<T> {
  const bar = ProgressBar.enabled(ctx.io.stderr, quiet || ctx.args.json)
    ? new ProgressBar(ctx.io.stderr, label, total, ctx.io.now)
    : undefined;
  try {
    return await upload((sent) => bar?.update(sent));
  } finally {
    bar?.finish();
  }
}

export function deployCommand(env: AppEnv): CommandModule<GlobalArgs, DeployArgs> {
  return {
    command: 'deploy <source>',
    describe: 'Deploy an agent from a .wasm component or a project directory (built first)',
    builder: (y) =>
      limitOptions(
        kindLimitOptions(
          y
            .positional('source', {
              type: 'string',
              demandOption: true,
              describe: 'A .wasm component, an agent project directory, or oci://<registry>/<repository>[:tag][@sha256:…]',
            })
            .option('name', { type: 'string', describe: 'Agent name; default: the artifact file name without .wasm' })
            .option('keep-state', {
              type: 'boolean',
              default: false,
              describe: 'Keep the state an earlier deployment of this name left (default: start empty)',
            })
            .option('kind', {
              type: 'string',
              describe: 'Deploy an agent kind of this name: a message to <kind>/<key> activates the instance for that key (decision 1980)',
            })
            .option('priority-class', {
              type: 'string',
              describe: `With --kind: ${PRIORITY_CLASSES.join(', ')} (default ${DEFAULT_PRIORITY_CLASS}); when the node's activation slots run out, an instance of a higher class takes the slot of a lower class's (decision 2187)`,
            })
            // nargs 1: a bare `--near` is a usage error, not "".
            .option('near', {
              type: 'string',
              nargs: 1,
              describe:
                'Place it on the node of this deployed agent, and keep it there across failover and rebalance (a cluster; decision 2189); fixed for the deployment',
            }),
          // --idle and --max-active, right after --kind: rows of core's KIND_LIMIT_TABLE (decision 2153), help and parsing from the rows.
        ),
      )
        .example(
          '$0 deploy examples/as-state-counter --kind counter --idle 10s',
          "a kind: `caxton send counter/alice request hi` activates alice's counter",
        )
        .example('$0 deploy build/echo.wasm', 'deploy as "echo"')
        .example(
          '$0 deploy oci://registry.example.com/agents/echo:1.0',
          'pull from an OCI registry (caxton push put it there), then deploy',
        )
        .example('$0 deploy examples/as-counter --name counter --fuel 5M --memory 4MiB', 'build, then deploy with limits')
        .example('$0 deploy echo.wasm --config greeting=hello --config lang=en', 'config for the agent init')
        .example('$0 deploy examples/py-files --assets ./static', 'ship ./static inside the component: the agent reads it at /assets')
        .example('$0 deploy relay.wasm --max-sends-per-s 500 --max-sends-per-call 20', 'bind its send rate (see docs/sandbox.md, limits)')
        .example(
          '$0 deploy weather.wasm --allow-http api.weather.example/v1/ --allow-http-method GET',
          'outbound HTTP: GET under /v1/ of one host',
        )
        .example('$0 deploy counter.wasm --keep-state', 'redeploy, keeping the state it had')
        .example('$0 deploy ping.wasm --near echo', 'run ping on the node that runs echo, and keep them together (docs/cluster.md)')
        .example("$0 deploy worker.wasm --topics 'jobs.*,alerts'", 'it may subscribe to alerts and to topics under jobs. only')
        .example('$0 deploy weather.wasm --a2a-card weather-card.json', 'the A2A Agent Card it is served with (docs/interop.md)')
        .example(
          '$0 deploy orders.wasm --ontology orders=orders.schema.json',
          'messages naming ontology orders are checked against the schema (docs/acl.md)',
        ) as unknown as Argv<DeployArgs>,
    handler: action<DeployArgs>(env, async (ctx, argv) => {
      if (argv.kind !== undefined && argv.name !== undefined)
        throw new UsageError('--kind names the kind: give --kind or --name, not both', 'caxton deploy <source> --kind counter');
      // Either flag without --kind is that mistake, whatever its value: said before the value is read.
      const kindFlag = (['idle', 'max-active'] as const).find((flag) => (argv as unknown as LimitFlagArgs)[flag] !== undefined);
      if (kindFlag !== undefined && argv.kind === undefined) {
        throw new UsageError(
          `--${kindFlag} applies to a kind: give --kind <name> too`,
          `caxton deploy <source> --kind counter --${kindFlag} ${kindFlag === 'idle' ? '30s' : '1000'}`,
        );
      }
      const kind = kindLimitsFromFlags(argv as unknown as LimitFlagArgs);
      const priorityClass = priorityClassFromFlag(argv);
      const h = header(argv.kind ?? argv.name ?? '', argv);
      if (argv.kind !== undefined) h.kind = { ...kind, ...(priorityClass !== undefined ? { priorityClass } : {}) };
      const http = await httpPolicyFromArgs(argv, ctx.io.cwd);
      if (http) h.http = http;
      if (argv.keepState) h.keepState = true;
      if (argv.near !== undefined) h.near = nearFromFlag(argv.near);
      const card = await a2aCardFromFlag(argv.a2aCard, ctx.io.cwd);
      if (card !== undefined) h.a2aCard = card;
      const ontologies = await ontologiesFromFlags(argv.ontology, ctx.io.cwd);
      if (ontologies !== undefined) h.ontologies = ontologies;
      const artifact = await attachAssets(ctx, await loadArtifact(ctx, argv.source, sourceOptions(argv)), argv.assets, argv.signature);
      h.name ||= artifact.suggestedName;
      attachLanguage(h, artifact, argv.language);
      await attachSignature(ctx, h, artifact, argv.signature);
      const client = await ctx.client();
      const agent = await withProgress(
        ctx,
        `deploying ${h.name}`,
        artifact.bytes.length,
        (onProgress) => client.deploy(h, artifact.bytes, onProgress),
        argv.quiet,
      );
      // A node older than priority classes drops the field: say so rather than let the kind run as normal unnoticed.
      if (priorityClass !== undefined && priorityClass !== DEFAULT_PRIORITY_CLASS && agent.kind?.priorityClass !== priorityClass)
        ctx.note(
          `warning: the node did not take --priority-class ${priorityClass} (an older node?): ${agent.name} runs as ${agent.kind?.priorityClass ?? DEFAULT_PRIORITY_CLASS}`,
        );
      if (ctx.args.json) ctx.printJson(agent);
      else ctx.print(`deployed ${agent.name} from ${artifact.display}\n${formatAgentDetail(agent, ctx.io.now())}`);
      return EXIT.OK;
    }),
  };
}

export function upgradeCommand(env: AppEnv): CommandModule<GlobalArgs, UpgradeArgs> {
  return {
    command: 'upgrade <agent> <source>',
    describe:
      'Replace a running agent with a new build: drain, swap, resume (or roll it out beside the old with --strategy); no accepted message is lost',
    builder: (y) =>
      rolloutFlagOptions(
        limitOptions(
          y
            .positional('agent', { type: 'string', demandOption: true, describe: 'Name of the deployed agent' })
            .positional('source', { type: 'string', demandOption: true, describe: 'A .wasm component, or an agent project directory' })
            .option('replace-config', {
              type: 'boolean',
              default: false,
              describe: 'Replace the config even with an empty one (default: keep it unless --config is given)',
            })
            .option('replay', {
              type: 'string',
              describe:
                "Replay the agent's recorded traffic on the new version first — its last N handlings (10000) or a window (1h) — and refuse the upgrade if it crashes or differs",
            })
            .option('accept-diff', {
              type: 'string',
              describe:
                'With --replay: differences that do not refuse it — sends, state, sends,state or none (default; a crash always refuses)',
            }),
        ),
      )
        .example('$0 upgrade echo examples/as-echo', 'rebuild and swap in the new version')
        .example(
          '$0 upgrade pricing pricing-v2.wasm --strategy canary:10 --bake 15m',
          '10% of new conversations to v2 for 15 min, then all, unless it misbehaves',
        )
        .example(
          '$0 upgrade pricing pricing-v2.wasm --strategy blue-green --max-p99-ms 200',
          'new conversations to v2 at once; rolled back if its p99 passes 200 ms',
        )
        .example('$0 upgrade echo echo-v2.wasm --memory 32MiB', 'new version with a larger memory cap')
        .example(
          '$0 upgrade counter ./counter-v2 --replay 10000',
          "first run v2 on the counter's last 10,000 recorded handlings",
        ) as unknown as Argv<UpgradeArgs>,
    handler: action<UpgradeArgs>(env, async (ctx, argv) => {
      const h = header(argv.agent, argv);
      if (argv.replaceConfig) h.replaceConfig = true;
      const rollout = rolloutFromFlags(argv);
      if (rollout) h.rollout = rollout;
      const replay = replayGateFromFlags(argv);
      if (replay) h.replay = replay;
      const http = await httpPolicyFromArgs(argv, ctx.io.cwd);
      if (http) h.http = http;
      const card = await a2aCardFromFlag(argv.a2aCard, ctx.io.cwd);
      if (card !== undefined) h.a2aCard = card;
      const ontologies = await ontologiesFromFlags(argv.ontology, ctx.io.cwd);
      if (ontologies !== undefined) h.ontologies = ontologies;
      const artifact = await attachAssets(ctx, await loadArtifact(ctx, argv.source, sourceOptions(argv)), argv.assets, argv.signature);
      attachLanguage(h, artifact, argv.language);
      await attachSignature(ctx, h, artifact, argv.signature);
      const client = await ctx.client();
      const result = await withProgress(
        ctx,
        `upgrading ${h.name}`,
        artifact.bytes.length,
        (onProgress) => client.upgrade(h, artifact.bytes, onProgress),
        argv.quiet,
      );
      if (ctx.args.json) ctx.printJson(result);
      else if (rollout && result.agent.rollout) {
        ctx.print(
          `rolling out ${result.agent.name}: version ${result.agent.rollout.candidateVersion} beside version ${result.agent.version}, ${formatRollout(result.agent.rollout, ctx.io.now())}\n` +
            `watch it with \`caxton agents ${result.agent.name}\`; abort it with \`caxton rollback ${result.agent.name}\`\n`,
        );
      } else
        ctx.print(
          `upgraded ${result.agent.name}: version ${result.previousVersion} -> ${result.agent.version}\n${formatAgentDetail(result.agent, ctx.io.now())}`,
        );
    }),
  };
}
