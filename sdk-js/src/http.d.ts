// Types for '@caxton/sdk-js/http' (the shapes are in index.d.ts).
import type { HttpApi, HttpErrorKind } from './index.js';

export { httpResponse, isHttpResponse, httpAgentName } from './index.js';
export class HttpError extends Error {
  readonly kind: HttpErrorKind;
  readonly reason: string;
}
export const http: HttpApi;
