export * from './errors.js';
export * from './acl/message.js';
export * from './acl/index.js';
export type * from './bus/message-log.js';
export type * from './registry/registry-store.js';
export * as protocols from './protocols/index.js';
