/** The options of a node checked before anything starts: each refusal its typed error, not a node half started. */
import { parseReplicaInstanceCap } from '@caxton/core';
import { checkConsoleBinding, CONSOLE_CERT_FLAGS, consoleFailure } from '../console/server.js';
import { checkPem } from '../http/policy.js';
import { LISTENER_CERT_FLAGS, readListenerTls } from '../listener/index.js';
import { checkMcpBinding, McpConfigError } from '../mcp/index.js';
import { A2aConfigError, checkA2aBinding } from '../a2a/index.js';
import { checkAccAdvertise, checkAccBinding, checkPlatformName, MtpConfigError } from '../mtp/index.js';
import { checkNodeLimits } from './node-limits.js';
import type { StartNodeOptions } from './options.js';

/** Checks every option that can be checked up front; the ACC address peers are given (`mtp.advertise`), checked. */
export async function checkStartOptions(options: StartNodeOptions): Promise<string | undefined> {
  if (options.console) checkConsoleBinding(options.console);
  // Every option a limit table's row bounds, refused before anything starts (decision 2149); read again where used.
  checkNodeLimits(options);
  if (options.maxReplicaInstances !== undefined) parseReplicaInstanceCap(options.maxReplicaInstances, 'startNode'); // likewise (decisions 2010, 2154)
  if (options.mcp) {
    checkMcpBinding(options.mcp);
    if (options.api === false)
      throw new McpConfigError(
        'the MCP endpoint needs the gRPC API: it checks the same tokens',
        'start the node with its API, or without --mcp',
      );
  }
  if (options.a2a) {
    checkA2aBinding(options.a2a);
    if (options.api === false)
      throw new A2aConfigError(
        'the A2A endpoint needs the gRPC API: it checks the same tokens',
        'start the node with its API, or without --a2a',
      );
  }
  // The platform name and the ACC address peers are given are checked before anything starts.
  if (options.platform !== undefined) checkPlatformName(options.platform);
  let accAdvertised: string | undefined;
  if (options.mtp) {
    checkAccBinding(options.mtp);
    accAdvertised = checkAccAdvertise(options.mtp);
    if (options.mtp.caPem !== undefined) {
      try {
        checkPem(options.mtp.caPem, 'mtp.caPem');
      } catch (err) {
        throw new MtpConfigError(
          `--mtp-ca: ${(err as Error).message}`,
          'give --mtp-ca a file of PEM certificates (-----BEGIN CERTIFICATE-----)',
        );
      }
    }
  }
  // Each listener's certificate and key read and checked as a pair now: a bad one is its typed error, not a node half started.
  if (options.mcp?.tls) await readListenerTls(options.mcp.tls, (m, h) => new McpConfigError(m, h), LISTENER_CERT_FLAGS);
  if (options.a2a?.tls) await readListenerTls(options.a2a.tls, (m, h) => new A2aConfigError(m, h), LISTENER_CERT_FLAGS);
  if (options.mtp?.tls) await readListenerTls(options.mtp.tls, (m, h) => new MtpConfigError(m, h), LISTENER_CERT_FLAGS);
  if (options.console?.tls) await readListenerTls(options.console.tls, consoleFailure, CONSOLE_CERT_FLAGS);
  return accAdvertised;
}
