import { fipaQuery } from '../../../src/protocols/machines/query.js';
import { exhaustiveSuite, t } from './exhaustive-suite.js';

// SC00027: query-if | query-ref → refuse | [agree] → failure | inform (inform-t/f, inform-result).
exhaustiveSuite(fipaQuery, {
  openers: ['query-if', 'query-ref'],
  phases: { queried: 'open', agreed: 'open', refused: 'final', failed: 'final', answered: 'final' },
  transitions: [
    t('start', 'initiator', 'query-if', 'queried', { arms: 'reply' }),
    t('start', 'initiator', 'query-ref', 'queried', { arms: 'reply' }),
    t('queried', 'participant', 'refuse', 'refused'),
    t('queried', 'participant', 'agree', 'agreed'),
    t('queried', 'participant', 'failure', 'failed'),
    t('queried', 'participant', 'inform', 'answered'),
    t('agreed', 'participant', 'failure', 'failed'),
    t('agreed', 'participant', 'inform', 'answered'),
  ],
});
