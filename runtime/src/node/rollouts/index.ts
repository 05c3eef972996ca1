/** Blue-green and canary rollouts of named agents on this node (decision 1871), and a cluster's recorded ones (decision 2171). */
export { Rollouts } from './rollouts.js';
export { RecordedRollouts, recordedRolloutView } from './recorded-rollouts.js';
export {
  candidateKey,
  countsText,
  parseCandidateKey,
  rolloutFields,
  type RolloutAudit,
  type RolloutAuditMethod,
  type RolloutBeside,
  type RolloutsOptions,
} from './rollout-model.js';
