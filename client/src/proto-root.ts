/**
 * The protobufjs types of caxton.v1 and of the google.rpc status details, as one Root (decision
 * 2051). Read from the JSON descriptor `npm run build` generates from client/proto
 * (scripts/gen-client-proto.mjs), with protobufjs' light build: no .proto parser, no
 * @grpc/proto-loader, which cost a remote `caxton` command most of its start-up. A build that ran
 * only tsc has no JSON, or an older one than a .proto edited since: then the .proto files are
 * parsed here, to the same types (never a stale descriptor).
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs/light.js';

/** Where the .proto files ship: client/proto, two levels above dist/src/ where this module runs. */
export const PROTO_ROOT = fileURLToPath(new URL('../../proto/', import.meta.url));
/** The generated descriptor: client/dist/proto/caxton.v1.json. */
export const CLIENT_PROTO_JSON = new URL('../proto/caxton.v1.json', import.meta.url);
/** What the client needs: the service, and the status details the server sends with errors. */
export const CLIENT_PROTO_FILES: readonly string[] = Object.freeze(['caxton/v1/caxton.proto', 'google/rpc/status.proto', 'google/rpc/error_details.proto']);

/** Parses the .proto files with protobufjs' full build (the generator's path, and the fallback). */
export function parseClientProtos(): protobuf.Root {
  const full = createRequire(import.meta.url)('protobufjs') as typeof protobuf & { Root: typeof protobuf.Root };
  const root = new full.Root();
  // google/protobuf/*.proto are protobufjs's bundled common files; everything else is ours.
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : path.join(PROTO_ROOT, target));
  root.loadSync([...CLIENT_PROTO_FILES], { keepCase: false });
  return root;
}

let root: protobuf.Root | undefined;

/** The generated JSON exists and is no older than any .proto it was made from (four stats). */
function descriptorIsCurrent(file: string): boolean {
  const made = statSync(file, { throwIfNoEntry: false })?.mtimeMs;
  if (made === undefined) return false;
  return CLIENT_PROTO_FILES.every((f) => (statSync(path.join(PROTO_ROOT, f), { throwIfNoEntry: false })?.mtimeMs ?? Infinity) <= made);
}

/** The Root (read once). */
export function clientProtoRoot(): protobuf.Root {
  if (root !== undefined) return root;
  const file = fileURLToPath(CLIENT_PROTO_JSON);
  root = descriptorIsCurrent(file) ? protobuf.Root.fromJSON(JSON.parse(readFileSync(file, 'utf8')) as protobuf.INamespace) : parseClientProtos();
  root.resolveAll();
  return root;
}
