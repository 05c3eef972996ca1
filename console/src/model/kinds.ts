/**
 * The sniffer colours an arrow by what the performative does in a conversation, not by its name:
 * a reader scanning a contract net looks for "who asked, who offered, who was chosen, who failed".
 * Colours are attributes (not CSS classes) so an exported SVG looks the same outside the console.
 */
export type PerformativeKind = 'request' | 'proposal' | 'accept' | 'reject' | 'inform' | 'other';

const KIND_OF: Record<string, PerformativeKind> = {
  cfp: 'request',
  request: 'request',
  'request-when': 'request',
  'request-whenever': 'request',
  'query-if': 'request',
  'query-ref': 'request',
  subscribe: 'request',
  propagate: 'request',
  proxy: 'request',
  propose: 'proposal',
  'accept-proposal': 'accept',
  agree: 'accept',
  confirm: 'accept',
  'reject-proposal': 'reject',
  refuse: 'reject',
  failure: 'reject',
  'not-understood': 'reject',
  disconfirm: 'reject',
  cancel: 'reject',
  inform: 'inform',
  'inform-if': 'inform',
  'inform-ref': 'inform',
};

export function performativeKind(performative: string): PerformativeKind {
  return KIND_OF[performative.toLowerCase()] ?? 'other';
}

/** Stroke colours with at least 4.5:1 contrast on the white diagram background. */
export const KIND_COLOUR: Record<PerformativeKind, string> = {
  request: '#1f5fbf',
  proposal: '#8a4b00',
  accept: '#1b7a2e',
  reject: '#b3261e',
  inform: '#6a3fb5',
  other: '#4a4a4a',
};

export const KIND_LABEL: Record<PerformativeKind, string> = {
  request: 'request / cfp',
  proposal: 'proposal',
  accept: 'accept / agree',
  reject: 'reject / refuse / failure',
  inform: 'inform',
  other: 'other',
};
