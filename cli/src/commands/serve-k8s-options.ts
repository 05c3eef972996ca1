/**
 * `caxton serve` flags for running under an orchestrator (deploy/k8s): tokens provided by a mounted
 * Secret that every node shares, and a plaintext health port for the kubelet's gRPC probes.
 * Environment equivalents (CAXTON_AUTH_TOKEN_FILE, CAXTON_READ_TOKEN_FILE, CAXTON_HEALTH_ADDR)
 * let a pod set them without touching the command line.
 */
import path from 'node:path';
import type { StartNodeOptions } from '@caxton/runtime';
import { UsageError } from '../cli-error.js';

export interface K8sArgs {
  authTokenFile?: string;
  readTokenFile?: string;
  healthAddr?: string;
  auth: boolean;
}

/** The yargs option block; `env` supplies the defaults from the environment. */
export function k8sServeOptions(env: Record<string, string | undefined>) {
  return {
    'auth-token-file': {
      type: 'string',
      default: env['CAXTON_AUTH_TOKEN_FILE'],
      defaultDescription: '$CAXTON_AUTH_TOKEN_FILE, else <data-dir>/auth-token',
      describe: 'Admin token from this file (e.g. a mounted Secret shared by all nodes); read, checked, never created or changed',
    },
    'read-token-file': {
      type: 'string',
      default: env['CAXTON_READ_TOKEN_FILE'],
      defaultDescription: '$CAXTON_READ_TOKEN_FILE, else <data-dir>/auth-token.read',
      describe: 'Read-only token from this file, like --auth-token-file',
    },
    'health-addr': {
      type: 'string',
      default: env['CAXTON_HEALTH_ADDR'],
      defaultDescription: '$CAXTON_HEALTH_ADDR, else none',
      describe: "Also serve grpc.health.v1 alone, plaintext and without a token, on host:port (for the kubelet's probes)",
    },
  } as const;
}

function hostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535))
    throw new UsageError(`${flag} ${text} is not host:port`, `e.g. ${flag} 0.0.0.0:50052 ([::]:50052 for IPv6; port 0 = any free port)`);
  return { host: (m[1] ?? m[2])!, port };
}

/** These flags → the parts of StartNodeOptions they set (merged into serve's own). */
export function k8sNodeOptions(argv: K8sArgs, cwd: string): Pick<StartNodeOptions, 'health'> & { auth?: StartNodeOptions['auth'] } {
  const out: Pick<StartNodeOptions, 'health'> & { auth?: StartNodeOptions['auth'] } = {};
  const given = (v: string | undefined): v is string => v !== undefined && v !== '';
  if (given(argv.authTokenFile) || given(argv.readTokenFile)) {
    if (!argv.auth)
      throw new UsageError(
        '--auth-token-file/--read-token-file and --no-auth contradict each other',
        'drop --no-auth: token files are for nodes that check tokens',
      );
    out.auth = {
      mode: 'token',
      ...(given(argv.authTokenFile) ? { tokenFile: path.resolve(cwd, argv.authTokenFile) } : {}),
      ...(given(argv.readTokenFile) ? { readTokenFile: path.resolve(cwd, argv.readTokenFile) } : {}),
    };
  }
  if (given(argv.healthAddr)) out.health = hostPort(argv.healthAddr, '--health-addr');
  return out;
}
