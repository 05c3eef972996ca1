/**
 * `caxton context …`: named connections to runtimes, like kubectl's contexts (decision 1840).
 * - `add <name> --address host:port [--token-file f] [--ca-file f] [--server-name n] [--tls]
 *   [--output text|json] [--force]`: save one (replace one with --force). Paths are stored absolute.
 * - `list`, `show <name>`, `current`: what is saved, and which one commands use.
 * - `use <name>`: commands without --addr/CAXTON_ADDR talk to it from now on.
 * - `remove <name>`.
 * Local: these commands edit the contexts file (context-config-store.ts), never a node.
 */
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { localAction, type AppEnv } from '../action.js';
import { CliError, UsageError } from '../cli-error.js';
import type { CommandContext, GlobalArgs } from '../context.js';
import {
  CONTEXT_OUTPUTS,
  isContextName,
  isServerName,
  isStorablePath,
  lookupContext,
  type ContextConfig,
  type ContextOutput,
  type NamedContext,
} from '../context-config.js';
import { EXIT } from '../exit-codes.js';
import { renderFields, renderTable } from '../format/table.js';
import { isApiAddress } from '../parse.js';

const ACTIONS = ['add', 'list', 'show', 'use', 'current', 'remove'] as const;

type Args = GlobalArgs & {
  action: (typeof ACTIONS)[number];
  name?: string;
  address?: string;
  caFile?: string;
  serverName?: string;
  output?: ContextOutput;
  force: boolean;
};

/** Global flags that mean "connect like this" elsewhere: given to `context add`, they would be silently dropped, so each is refused with the flag that saves it. */
const CONNECT_FLAGS_ON_ADD: readonly [keyof Args, string, string][] = [
  ['addr', '--addr', '--address'],
  ['tlsCa', '--tls-ca', '--ca-file'],
  ['tlsServerName', '--tls-server-name', '--server-name'],
];

function fromNamedFlags(argv: Args, io: { cwd: string; env: Readonly<Record<string, string | undefined>> }): NamedContext {
  for (const [key, flag, instead] of CONNECT_FLAGS_ON_ADD) {
    if (argv[key] !== undefined)
      throw new UsageError(`context add saves ${instead}, not ${flag}`, `e.g. caxton context add staging ${instead} …`);
  }
  // --token defaults to $CAXTON_TOKEN: only a value that differs from it was typed.
  if (argv.token !== undefined && argv.token !== io.env.CAXTON_TOKEN) {
    throw new UsageError(
      'a context never stores a token, only the path of a token file',
      'save the token in a file (chmod 600) and give --token-file <file>',
    );
  }
  if (argv.address === undefined)
    throw new UsageError(
      'context add needs --address host:port',
      'e.g. caxton context add staging --address staging.example.com:50051 --ca-file ca.pem --token-file staging.token',
    );
  if (!isApiAddress(argv.address)) throw new UsageError(`--address "${argv.address}" is not host:port`, 'e.g. --address 127.0.0.1:50051');
  const saved: NamedContext = { address: argv.address, tls: argv.tls || argv.caFile !== undefined };
  for (const [field, flag, value] of [
    ['tokenFile', '--token-file', argv.tokenFile],
    ['caFile', '--ca-file', argv.caFile],
  ] as const) {
    if (value === undefined) continue;
    const absolute = path.resolve(io.cwd, value);
    if (!isStorablePath(absolute)) throw new UsageError(`${flag} "${value}" is not a usable path`);
    saved[field] = absolute;
  }
  if (argv.serverName !== undefined) {
    if (!isServerName(argv.serverName))
      throw new UsageError(
        `--server-name "${argv.serverName}" is not a host name`,
        'the name in the server certificate, e.g. caxton.internal',
      );
    saved.serverName = argv.serverName;
  }
  if (argv.output !== undefined) saved.output = argv.output;
  return saved;
}

function needName(argv: Args): string {
  if (argv.name === undefined)
    throw new UsageError(`context ${argv.action} needs a context name`, 'see the names with `caxton context list`');
  return argv.name;
}

function fieldsOf(name: string, c: NamedContext, current: boolean): [string, string][] {
  return [
    ['name', current ? `${name} (current)` : name],
    ['address', c.address],
    ['tls', c.tls ? (c.caFile ? `yes, CA ${c.caFile}` : 'yes, system roots') : 'no'],
    ['server name', c.serverName ?? '-'],
    ['token file', c.tokenFile ?? '-'],
    ['output', c.output ?? 'text'],
  ];
}

async function runContext(ctx: CommandContext, argv: Args): Promise<number | void> {
  const { contextConfigFile, loadContextConfig, saveContextConfig } = await import('../context-config-store.js');
  const file = contextConfigFile(ctx.io);
  const config = await loadContextConfig(file);
  const save = (next: ContextConfig): Promise<void> => saveContextConfig(file, next);
  const contexts = new Map(config.contexts);

  switch (argv.action) {
    case 'add': {
      const name = needName(argv);
      if (!isContextName(name))
        throw new UsageError(
          `"${name}" is not a context name`,
          'letters, digits, ".", "_" and "-", starting with a letter or digit, at most 63',
        );
      const saved = fromNamedFlags(argv, ctx.io);
      if (contexts.has(name) && !argv.force)
        throw new CliError(
          EXIT.CONFLICT,
          `context ${name} exists already`,
          `replace it with \`caxton context add ${name} … --force\`, or pick another name`,
        );
      contexts.set(name, saved);
      await save({ ...config, contexts });
      if (saved.tokenFile !== undefined) {
        const { access } = await import('node:fs/promises');
        await access(saved.tokenFile).catch(() =>
          ctx.note(`caxton: warning: ${saved.tokenFile} does not exist (yet); commands using context ${name} will fail until it does`),
        );
      }
      if (ctx.args.json) ctx.printJson({ name, current: config.current === name, ...saved });
      ctx.print(`saved context ${name} (${saved.address}) in ${file}\n`);
      if (config.current !== name) ctx.note(`caxton: use it with \`caxton context use ${name}\`, or for one call with --context ${name}`);
      return;
    }
    case 'list': {
      const names = [...contexts.keys()].sort();
      if (ctx.args.json) {
        ctx.printJson(names.map((name) => ({ name, current: name === config.current, ...contexts.get(name)! })));
        return;
      }
      if (names.length === 0) {
        ctx.note(`caxton: no contexts in ${file}; add one with \`caxton context add <name> --address host:port\``);
        return;
      }
      ctx.print(
        renderTable<string>(
          [
            { header: 'CURRENT', value: (n) => (n === config.current ? '*' : '') },
            { header: 'NAME', value: (n) => n },
            { header: 'ADDRESS', value: (n) => contexts.get(n)!.address },
            { header: 'TLS', value: (n) => (contexts.get(n)!.tls ? 'yes' : 'no') },
            { header: 'TOKEN FILE', value: (n) => contexts.get(n)!.tokenFile ?? '-' },
            { header: 'OUTPUT', value: (n) => contexts.get(n)!.output ?? 'text' },
          ],
          names,
        ),
      );
      return;
    }
    case 'show': {
      const name = needName(argv);
      const saved = lookupContext(config, name);
      if (ctx.args.json) ctx.printJson({ name, current: name === config.current, ...saved });
      else ctx.print(renderFields(fieldsOf(name, saved, name === config.current)));
      return;
    }
    case 'use': {
      const name = needName(argv);
      const saved = lookupContext(config, name);
      await save({ ...config, current: name });
      if (ctx.args.json) ctx.printJson({ current: name });
      ctx.print(`now using context ${name} (${saved.address})\n`);
      return;
    }
    case 'current': {
      if (ctx.args.json) {
        ctx.printJson({ current: config.current ?? null });
        return;
      }
      if (config.current === undefined)
        throw new CliError(
          EXIT.NOT_FOUND,
          'no current context',
          'choose one with `caxton context use <name>`; without one, commands use --addr, CAXTON_ADDR or 127.0.0.1:50051',
        );
      ctx.print(`${config.current}\n`);
      return;
    }
    case 'remove': {
      const name = needName(argv);
      lookupContext(config, name);
      contexts.delete(name);
      const wasCurrent = config.current === name;
      await save(wasCurrent ? { contexts } : { ...config, contexts });
      if (ctx.args.json) ctx.printJson({ removed: name, current: wasCurrent ? null : (config.current ?? null) });
      ctx.print(`removed context ${name}\n`);
      if (wasCurrent) ctx.note(`caxton: ${name} was the current context; there is none now (\`caxton context use <name>\` picks one)`);
      return;
    }
  }
}

export function contextCommand(env: AppEnv): CommandModule<GlobalArgs, Args> {
  return {
    command: 'context <action> [name]',
    describe: 'Named connections to runtimes (address, TLS, token file, output): add, list, show, use, current, remove',
    builder: (y) =>
      y
        .positional('action', {
          type: 'string',
          choices: ACTIONS,
          demandOption: true,
          describe: 'add <name>: save one · list · show <name> · use <name>: make it current · current: which is · remove <name>',
        })
        .positional('name', { type: 'string', describe: "The context's name (letters, digits, . _ -)" })
        .option('address', { type: 'string', describe: "add: the node's API, host:port" })
        .option('ca-file', {
          type: 'string',
          describe: "add: CA certificate of the node's TLS (implies TLS); --tls alone: the system roots",
        })
        .option('server-name', { type: 'string', describe: 'add: name to expect in the server certificate, if not the address host' })
        .option('output', {
          type: 'string',
          choices: CONTEXT_OUTPUTS,
          describe: 'add: what commands print by default with this context (--json / --no-json still decide per call)',
        })
        .option('force', { type: 'boolean', default: false, describe: 'add: replace a context of that name' })
        .example(
          '$0 context add staging --address staging.example.com:50051 --ca-file ca.pem --token-file ~/.caxton/staging.token',
          'save a connection (the token stays in its file)',
        )
        .example('$0 context use staging', 'commands talk to staging from now on')
        .example('$0 --context prod agents', 'one call to another context')
        .example('$0 context list', 'the saved contexts; * marks the current one')
        .epilogue(
          'Stored in $CAXTON_CONFIG, else $XDG_CONFIG_HOME/caxton/config.json, else ~/.config/caxton/config.json (mode 0600). For each setting: flag > environment variable > --context > current context > default; --addr or CAXTON_ADDR without --context means no context. See docs/cli.md.',
        ) as unknown as Argv<Args>,
    handler: localAction<Args>(env, runContext),
  };
}
