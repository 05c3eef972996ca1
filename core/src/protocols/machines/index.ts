import type { ProtocolMachine } from '../machine.js';
import type { ProtocolName } from '../names.js';
import { fipaContractNet, fipaIteratedContractNet } from './contract-net.js';
import { fipaPropose } from './propose.js';
import { fipaQuery } from './query.js';
import { fipaRequestWhen } from './request-when.js';
import { fipaRequest } from './request.js';
import { fipaSubscribe } from './subscribe.js';

export { fipaContractNet, fipaIteratedContractNet, fipaPropose, fipaQuery, fipaRequest, fipaRequestWhen, fipaSubscribe };

/** The machine enforcing each known protocol. */
export const PROTOCOL_MACHINES: Readonly<Record<ProtocolName, ProtocolMachine>> = {
  'fipa-request': fipaRequest,
  'fipa-query': fipaQuery,
  'fipa-request-when': fipaRequestWhen,
  'fipa-contract-net': fipaContractNet,
  'fipa-iterated-contract-net': fipaIteratedContractNet,
  'fipa-subscribe': fipaSubscribe,
  'fipa-propose': fipaPropose,
};
