/**
 * The registry record of a deployment's first version and of each next one — of a named agent and
 * of a kind alike (decision 1980: a kind is one record). Pure: what the artifact brings (its
 * digest, signer, language, whether it may write state) belongs to the version; what the operator
 * gave the deployment (config, HTTP rules, card, topic allow-list) stays until an upgrade names
 * another.
 */
import type { AgentLimitsSpec, DeploySpec, UpgradeSpec } from '@caxton/core';
import { previousVersionOf, type AgentRecord } from '../../storage/records.js';

/** What the prepared artifact and the checks gave this version. */
export interface VersionArtifact {
  digest: string;
  limits: Required<AgentLimitsSpec>;
  /** The trusted key that signed it (decision 1400), if any. */
  signerKeyId?: string | undefined;
  /** Its component imports state writes (decision 2163); undefined for a kind's, whose record never says. */
  writesState?: boolean | undefined;
}

/** Version 1 of a deployment. A kind's carries its `kind` settings and no A2A card. */
export function firstVersionRecord(spec: DeploySpec, artifact: VersionArtifact, kind?: AgentRecord['kind']): AgentRecord {
  const now = Date.now();
  return {
    name: spec.name,
    artifactDigest: artifact.digest,
    limits: artifact.limits,
    config: spec.config,
    version: 1,
    createdAt: now,
    updatedAt: now,
    ...(kind !== undefined ? { kind } : {}),
    ...(artifact.writesState === true ? { writesState: true } : {}),
    ...(spec.http !== undefined ? { http: spec.http } : {}),
    ...(artifact.signerKeyId !== undefined ? { signerKeyId: artifact.signerKeyId } : {}),
    ...(spec.language !== undefined ? { language: spec.language } : {}),
    ...(kind === undefined && spec.a2aCard !== undefined ? { a2aCard: spec.a2aCard } : {}),
    // Every instance of a kind subscribes under the kind's allow-list (decision 2050).
    ...(spec.topics !== undefined ? { topics: spec.topics } : {}),
    // And under the kind's declared ontologies (decision 2183).
    ...(spec.ontologies !== undefined ? { ontologies: spec.ontologies } : {}),
  };
}

/** The version after `previous`, with the replaced one as its `previous` (what a rollback returns to). */
export function nextVersionRecord(previous: AgentRecord, spec: UpgradeSpec, artifact: VersionArtifact): AgentRecord {
  const next: AgentRecord = {
    ...previous,
    artifactDigest: artifact.digest,
    limits: artifact.limits,
    config: spec.config ?? previous.config,
    version: previous.version + 1,
    updatedAt: Date.now(),
    ...(spec.http !== undefined ? { http: spec.http } : {}),
    // The card describes the deployment, not the artifact: kept unless the upgrade names a new one (a kind has none).
    ...(previous.kind === undefined && spec.a2aCard !== undefined ? { a2aCard: spec.a2aCard } : {}),
    // So does the topic allow-list (decision 2050).
    ...(spec.topics !== undefined ? { topics: spec.topics } : {}),
    // And the declared ontologies (decision 2183): what the deployment speaks, kept unless renamed.
    ...(spec.ontologies !== undefined ? { ontologies: spec.ontologies } : {}),
    previous: previousVersionOf(previous),
  };
  // The signer belongs to the artifact: a new version keeps none of the old one's. So does
  // `writesState` (a kind's record never says), and the language: an upgrade that states none shows
  // none rather than the old artifact's.
  delete next.signerKeyId;
  if (artifact.signerKeyId !== undefined) next.signerKeyId = artifact.signerKeyId;
  if (artifact.writesState === true) next.writesState = true;
  else delete next.writesState;
  delete next.language;
  if (spec.language !== undefined) next.language = spec.language;
  return next;
}
