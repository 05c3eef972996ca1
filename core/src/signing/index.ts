export * from './dsse.js';
export * from './agent-statement.js';
