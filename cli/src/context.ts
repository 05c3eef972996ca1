/**
 * What every command gets: the global options with every connection setting decided
 * (connection-precedence.ts: flag > environment > --context > current context > default), a
 * lazily opened client with the token discovered the documented way, and output helpers that
 * respect --json.
 *
 * Token discovery, first match wins: --token (warned about: it shows in `ps` and shell history),
 * --token-file, CAXTON_TOKEN, the named context's token file, `<data-dir>/auth-token` (data dir
 * from --data-dir, CAXTON_DATA_DIR, or ./.caxton — where `caxton serve` puts it by default; with a
 * named context only when the data dir is named). A token is never sent in plaintext beyond
 * loopback without --insecure (token-transport.ts, decision 1401).
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { readTokenFile, tokenFilePath, CaxtonClient } from '@caxton/client';
import { CliError } from './cli-error.js';
import type { ConnectionFacts } from './connection-facts.js';
import { localConnectionArgs, needsContextConfig, resolveConnection, type Connection } from './connection-precedence.js';
import { EMPTY_CONTEXT_CONFIG } from './context-config.js';
import { contextConfigFile, loadContextConfig } from './context-config-store.js';
import { EXIT } from './exit-codes.js';
import type { GivenGlobalArgs, GlobalArgs } from './global-args.js';
import type { Io } from './io.js';
import { parseAddress } from './parse.js';
import { checkTokenTransport } from './token-transport.js';

export { DEFAULT_ADDR, DEFAULT_DATA_DIR, type GlobalArgs } from './global-args.js';

/** The parsed options → the context a command body runs with (`connects`: it talks to a node). */
export async function openCommandContext(io: Io, given: GivenGlobalArgs, connects: boolean, command: string): Promise<CommandContext> {
  // A local command's --addr, if it has one, is its own (serve: where to listen): left as given.
  if (!connects) return new CommandContext(io, { ...given, ...localConnectionArgs(given, io.env, command) } as GlobalArgs);
  const config = needsContextConfig(given, io.env) ? await loadContextConfig(contextConfigFile(io)) : EMPTY_CONTEXT_CONFIG;
  const connection = resolveConnection(given, io.env, config);
  for (const note of connection.notes) io.stderr.write(`${note}\n`);
  return new CommandContext(io, { ...given, ...connection.args }, connection);
}

export class CommandContext {
  private opened: CaxtonClient | undefined;
  readonly facts: ConnectionFacts;

  constructor(
    readonly io: Io,
    readonly args: GlobalArgs,
    private readonly connection?: Connection,
  ) {
    this.facts = {
      address: args.addr,
      tokenFile: tokenFilePath(path.resolve(io.cwd, args.dataDir)),
      timeoutMs: args.timeout * 1000,
    };
    if (connection?.context) this.facts.contextName = connection.context.name;
  }

  private async discoverToken(): Promise<string | undefined> {
    const fromEnv = this.args.token !== undefined && this.io.env.CAXTON_TOKEN === this.args.token;
    if (this.args.token && !fromEnv) {
      this.note(
        'caxton: warning: --token puts the token on the command line, where other users (ps) and shell history see it; use --token-file or CAXTON_TOKEN',
      );
      this.facts.tokenSource = '--token';
      return this.args.token;
    }
    if (this.args.tokenFile !== undefined) {
      const file = path.resolve(this.io.cwd, this.args.tokenFile);
      this.facts.tokenFile = file;
      const token = await readTokenFile(file, { onWarning: (m) => this.note(`caxton: warning: ${m}`) });
      this.facts.tokenSource = '--token-file';
      return token;
    }
    if (this.args.token) {
      this.facts.tokenSource = 'CAXTON_TOKEN';
      return this.args.token;
    }
    const fromContext = this.connection?.contextTokenFile;
    if (fromContext !== undefined) {
      this.facts.tokenFile = fromContext;
      const token = await readTokenFile(fromContext, { onWarning: (m) => this.note(`caxton: warning: ${m}`) }).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        throw new CliError(
          EXIT.AUTH,
          `the token file of context ${this.facts.contextName} (${fromContext}) does not exist`,
          `put the node's token there (chmod 600), or save another path: \`caxton context add ${this.facts.contextName} --address ${this.args.addr} --token-file <file> --force\``,
        );
      });
      this.facts.tokenSource = `the token file of context ${this.facts.contextName} (${fromContext})`;
      return token;
    }
    if (this.connection?.dataDirToken === false) {
      this.facts.tokenFile = undefined;
      return undefined;
    }
    const dataDirFile = tokenFilePath(path.resolve(this.io.cwd, this.args.dataDir));
    try {
      await access(dataDirFile);
    } catch {
      return undefined;
    }
    // Same checks as the server: a token file all users can read is refused, with advice.
    const token = await readTokenFile(dataDirFile, { onWarning: (m) => this.note(`caxton: warning: ${m}`) });
    this.facts.tokenSource = path.relative(this.io.cwd, dataDirFile) || dataDirFile;
    return token;
  }

  async client(): Promise<CaxtonClient> {
    if (this.opened) return this.opened;
    const address = parseAddress(this.args.addr);
    const token = await this.discoverToken();
    const useTls = this.args.tls || this.args.tlsCa !== undefined || this.args.tlsCert !== undefined;
    checkTokenTransport({ address, tls: useTls, hasToken: token !== undefined, insecure: this.args.insecure === true });
    const tls = useTls
      ? {
          ...(this.args.tlsCa ? { caFile: this.args.tlsCa } : {}),
          ...(this.args.tlsCert ? { certFile: this.args.tlsCert } : {}),
          ...(this.args.tlsKey ? { keyFile: this.args.tlsKey } : {}),
          ...(this.args.tlsServerName ? { serverName: this.args.tlsServerName } : {}),
        }
      : undefined;
    this.opened = await CaxtonClient.connect({
      address,
      timeoutMs: this.facts.timeoutMs,
      ...(token ? { token } : {}),
      ...(tls ? { tls } : {}),
    });
    return this.opened;
  }

  close(): void {
    this.opened?.close();
    this.opened = undefined;
  }

  /** Human output, to stdout; suppressed under --json (the command prints JSON instead). */
  print(text: string): void {
    if (!this.args.json) this.io.stdout.write(text);
  }

  /** One JSON document (pretty) for single results. */
  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One JSON object per line, for streams (NDJSON). */
  printJsonLine(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Notes and warnings, to stderr (never mixed into data). */
  note(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}
