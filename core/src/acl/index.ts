/** Public surface of the ACL layer: the message model, validation, and the two wire codecs. */
export * from './message.js';
export { AclError, AclParseError, AclValidationError, isAclError, type AclParseErrorDetails, type AclWireFormat } from './errors.js';
export { aclLimits, DEFAULT_ACL_LIMITS, type AclLimits } from './limits.js';
export { messageTextUnits } from './text-units.js';
export { messageUtf8Bytes, parseAclMessage, requireReceivers, validateAclMessage, checkEncodedSize } from './validate.js';
export { decodeAclJson, encodeAclJson } from './json-codec.js';
export { decodeAclString, encodeAclString, type AclStringDecodeOptions } from './sl-codec.js';
export {
  formatFipaDateTime,
  parseFipaDateTime,
  tryParseFipaDateTime,
  MAX_FIPA_EPOCH_MS,
  MIN_FIPA_EPOCH_MS,
  type FipaDateTimeOptions,
  type FipaDateTimeResult,
} from './datetime.js';
export {
  checkPriorityParam,
  isPriority,
  parsePriority,
  priorityOf,
  priorityRank,
  NORMAL_RANK,
  PRIORITIES,
  PRIORITY_PARAM,
  type Priority,
  type PriorityRank,
} from './priority.js';
