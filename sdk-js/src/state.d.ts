// Types for '@caxton/sdk-js/state' (the shapes are in index.d.ts).
import type { StateApi, StateErrorKind } from './index.js';

export class StateError extends Error {
  readonly kind: StateErrorKind;
  readonly reason: string;
}
export const state: StateApi;
