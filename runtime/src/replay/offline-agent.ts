/**
 * One agent of a node's data directory, as a replay beside the node reads it (issue 57): its
 * deployment record (embedded registry), its component (the artifact store), its identity (the
 * data directory's platform name) and where its log is. Read only: nothing in the directory is
 * created, locked or changed, so this works on a running node's directory and on a copy.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { FileArtifactStore } from '../artifacts/file-artifact-store.js';
import { readEmbeddedRegistry } from '../registry/embedded/read-only-registry.js';
import { readKeptPlatformName } from '../mtp/index.js';
import { deploymentOf, recordOf } from './deployment-record.js';
import { ReplayError } from './errors.js';
import type { RecordedDeployment } from './recorded.js';

export interface OfflineAgent {
  deployment: RecordedDeployment;
  /** `name@platform`, as its sandbox knew it. */
  identity: string;
  /** The recorded version's component. */
  component: () => Promise<Uint8Array>;
  /** The embedded message log's directory. */
  logDir: string;
  /** The directory as the registry holds it now: what `search-services` answers in the replay. */
  servicesByType: ReadonlyMap<string, readonly { name: string }[]>;
  /** The agents (and kinds) deployed there: messages to them are in its log. */
  localAgents: ReadonlySet<string>;
}

/** The data directory's platform name (its agents are `<name>@<platform>`); `caxton` when it has none (the node's default). */
function platformOf(dataDir: string): string {
  // A file that is not one the node wrote is PlatformFileError, with its hint: the identity would be wrong.
  return readKeptPlatformName(dataDir) ?? 'caxton';
}

export async function openOfflineAgent(dataDir: string, name: string): Promise<OfflineAgent> {
  const info = await stat(dataDir).catch(() => undefined);
  if (!info?.isDirectory())
    throw new ReplayError('replay.no-log', `${dataDir} is not a directory`, {
      context: { dataDir },
      hint: "pass the node's --data-dir (the directory holding log/, registry/ and artifacts/)",
    });
  const { agents: records, servicesByType } = await readEmbeddedRegistry(path.join(dataDir, 'registry'));
  const record = recordOf(records, name);
  if (record === undefined)
    throw new ReplayError('replay.no-agent', `no agent ${name} is deployed in ${dataDir}`, {
      context: { agent: name, dataDir, deployed: [...records.keys()].slice(0, 20) },
      hint: 'name a deployed agent (caxton agents lists them), or a kind instance as <kind>/<key>; replay an undeployed one from an export file (--input)',
    });
  const platform = platformOf(dataDir);
  const store = new FileArtifactStore({ dir: path.join(dataDir, 'artifacts') });
  return {
    deployment: deploymentOf(record, name),
    identity: `${name}@${platform}`,
    component: async () => {
      try {
        return await store.get(record.artifactDigest);
      } catch (cause) {
        throw new ReplayError('replay.no-component', `the component of ${name} (version ${record.version}) is not in ${dataDir}`, {
          context: { agent: name, digest: record.artifactDigest },
          hint: 'replay it with --with <the component or its project>',
          cause,
        });
      }
    },
    logDir: path.join(dataDir, 'log'),
    servicesByType,
    localAgents: new Set(records.keys()),
  };
}
