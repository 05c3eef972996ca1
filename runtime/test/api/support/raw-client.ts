/**
 * A plain grpc-js client for caxton.v1 with no help from CaxtonClient, for sending what a well-
 * behaved client never would (chunks before headers, lying sizes, garbage) and for the child
 * process that is killed mid-upload.
 */
import {
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type Client,
  type ClientWritableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { caxtonService } from '@caxton/client';
import { toApiCallError, type ApiCallError } from '@caxton/client';
import type { WireArtifactUpload } from '@caxton/client';

const Raw = makeGenericClientConstructor(caxtonService(), 'Caxton');

export type RawClient = Client & Record<string, (...args: unknown[]) => unknown>;

export function rawClient(address: string): RawClient {
  return new Raw(address, credentials.createInsecure()) as unknown as RawClient;
}

export function bearer(token: string): Metadata {
  const md = new Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

export function startUpload(
  client: RawClient,
  method: 'DeployAgent' | 'UpgradeAgent',
  token: string,
): { call: ClientWritableStream<WireArtifactUpload>; result: Promise<{ error?: ApiCallError; response?: unknown }> } {
  let call!: ClientWritableStream<WireArtifactUpload>;
  const result = new Promise<{ error?: ApiCallError; response?: unknown }>((resolve) => {
    const fn = client[method] as unknown as (
      md: Metadata,
      cb: (err: ServiceError | null, res: unknown) => void,
    ) => ClientWritableStream<WireArtifactUpload>;
    call = fn.call(client, bearer(token), (err, res) => resolve(err ? { error: toApiCallError(err) } : { response: res }));
  });
  call.on('error', () => {});
  return { call, result };
}

/** Sends `messages` as one upload and returns how the server answered. */
export async function rawUpload(
  client: RawClient,
  token: string,
  messages: unknown[],
  method: 'DeployAgent' | 'UpgradeAgent' = 'DeployAgent',
): Promise<{ error?: ApiCallError; response?: unknown }> {
  const { call, result } = startUpload(client, method, token);
  for (const m of messages) call.write(m as WireArtifactUpload);
  call.end();
  return result;
}

export function rawUnary(
  client: RawClient,
  method: string,
  token: string,
  request: unknown,
): Promise<{ error?: ApiCallError; response?: unknown }> {
  const fn = client[method] as unknown as (req: unknown, md: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => void;
  return new Promise((resolve) =>
    fn.call(client, request, bearer(token), (err, res) => resolve(err ? { error: toApiCallError(err) } : { response: res })),
  );
}
