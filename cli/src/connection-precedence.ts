/**
 * Which node a command talks to, and how, when flags, environment variables and named contexts
 * (decision 1840) all have a say. For each setting, first match wins:
 *   explicit flag > environment variable > `--context <name>` > the current context > default.
 * - The current context applies only when no address was given (--addr or CAXTON_ADDR): an address
 *   typed or exported names a node the current context does not describe, and the current
 *   context's token file must not follow it there. `--context` always applies; what an environment
 *   variable then overrides is said on stderr, since the operator asked for that context.
 * - Tokens: --token, --token-file, CAXTON_TOKEN, the context's token file; `<data-dir>/auth-token`
 *   only without a context, or when --data-dir/CAXTON_DATA_DIR names one — a local dev node's
 *   token is never sent to a named runtime by default.
 * Pure: the caller loads the contexts file, and only when needsContextConfig says so.
 */
import { UsageError } from './cli-error.js';
import { lookupContext, type ContextConfig } from './context-config.js';
import { DEFAULT_ADDR, DEFAULT_DATA_DIR, type GivenGlobalArgs, type GlobalArgs } from './global-args.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface ChosenContext {
  name: string;
  chosenBy: '--context' | 'current context';
}

export interface Connection {
  /** The settings a named context can supply, decided. */
  args: Pick<GlobalArgs, 'addr' | 'dataDir' | 'tls' | 'json'> & Pick<GlobalArgs, 'tlsCa' | 'tlsServerName'>;
  context?: ChosenContext;
  /** The context's token file, tried after --token, --token-file and CAXTON_TOKEN. */
  contextTokenFile?: string;
  /** Whether `<data-dir>/auth-token` is tried when no token was given. */
  dataDirToken: boolean;
  /** Environment variables that override the chosen context, for stderr. */
  notes: string[];
}

function addressGiven(given: GivenGlobalArgs, env: Env): boolean {
  return given.addr !== undefined || env.CAXTON_ADDR !== undefined;
}

/** The contexts file matters only with --context, or when no address was given. */
export function needsContextConfig(given: GivenGlobalArgs, env: Env): boolean {
  return given.context !== undefined || !addressGiven(given, env);
}

/** Settings of a command that never talks to a node (serve, build…): no context applies. */
export function localConnectionArgs(given: GivenGlobalArgs, env: Env, command: string): Pick<GlobalArgs, 'dataDir' | 'tls' | 'json'> {
  if (given.context !== undefined) {
    throw new UsageError(
      `\`caxton ${command}\` does not talk to a node, so --context ${given.context} does not apply to it`,
      'drop --context; it selects the node for commands such as agents, deploy, send',
    );
  }
  return { dataDir: given.dataDir ?? env.CAXTON_DATA_DIR ?? DEFAULT_DATA_DIR, tls: given.tls ?? false, json: given.json ?? false };
}

/** Flags, environment and contexts → one connection (see the file comment for the order). */
export function resolveConnection(given: GivenGlobalArgs, env: Env, config: ContextConfig): Connection {
  let chosen: ChosenContext | undefined;
  if (given.context !== undefined) chosen = { name: given.context, chosenBy: '--context' };
  else if (config.current !== undefined && !addressGiven(given, env)) chosen = { name: config.current, chosenBy: 'current context' };
  const saved = chosen === undefined ? undefined : lookupContext(config, chosen.name);
  const notes: string[] = [];
  const overridden = (variable: string, what: string): void => {
    if (chosen) notes.push(`caxton: note: ${variable} overrides the ${what} of context ${chosen.name}`);
  };

  let addr = given.addr ?? env.CAXTON_ADDR;
  if (addr !== undefined && given.addr === undefined && saved) overridden('CAXTON_ADDR', 'address');
  addr ??= saved?.address ?? DEFAULT_ADDR;

  const dataDirNamed = given.dataDir ?? env.CAXTON_DATA_DIR;
  const args: Connection['args'] = {
    addr,
    dataDir: dataDirNamed ?? DEFAULT_DATA_DIR,
    tls: given.tls ?? saved?.tls ?? false,
    json: given.json ?? (saved?.output === undefined ? false : saved.output === 'json'),
  };
  const tlsCa = given.tlsCa ?? saved?.caFile;
  if (tlsCa !== undefined) args.tlsCa = tlsCa;
  const tlsServerName = given.tlsServerName ?? saved?.serverName;
  if (tlsServerName !== undefined) args.tlsServerName = tlsServerName;

  const connection: Connection = { args, dataDirToken: saved === undefined || dataDirNamed !== undefined, notes };
  if (chosen) connection.context = chosen;
  if (saved?.tokenFile !== undefined) {
    connection.contextTokenFile = saved.tokenFile;
    const tokenFromEnv = env.CAXTON_TOKEN !== undefined && given.token === env.CAXTON_TOKEN;
    if (given.tokenFile === undefined && tokenFromEnv) overridden('CAXTON_TOKEN', 'token file');
  }
  return connection;
}
