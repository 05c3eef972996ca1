export * from './keys.js';
export * from './sign.js';
export * from './trust.js';
export * from './trust-files.js';
