export * from './model.js';
export { dealias as witDealias, readWit, resolveNamed as witResolveNamed } from './reader.js';
export { WitReadError } from './errors.js';
export {
  type CoreSignature,
  type CoreType,
  type MemoryLayout,
  coreSignature as witCoreSignature,
  fieldOffsetsOf as witFieldOffsets,
  flatParams as witFlatParams,
  flatten as witFlatten,
  layoutOf as witLayout,
  paramsByPointer as witParamsByPointer,
  payloadOffsetOf as witPayloadOffset,
  resultInMemory as witResultInMemory,
} from './canonical-abi.js';
