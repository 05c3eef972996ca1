/**
 * The protobufjs types of caxton.v1 and of the google.rpc status details, as one Root (decision
 * 2051). Read from the JSON descriptor `npm run build` generates from client/proto
 * (scripts/gen-client-proto.mjs), with protobufjs' light build: no .proto parser, no
 * @grpc/proto-loader, which cost a remote `caxton` command most of its start-up. The JSON carries
 * the SHA-256 of the .proto sources it was made from: a build that ran only tsc (no JSON), a .proto
 * edited since (another hash) or a corrupt file has the .proto files parsed here, to the same types
 * (never a stale descriptor). The node's gRPC server uses the same Root.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs/light.js';

/** Where the .proto files ship: client/proto, two levels above dist/src/ where this module runs. */
export const PROTO_ROOT = fileURLToPath(new URL('../../proto/', import.meta.url));
/** The generated descriptor: client/dist/proto/caxton.v1.json. */
export const CLIENT_PROTO_JSON = new URL('../proto/caxton.v1.json', import.meta.url);
/** What the client needs: the service, and the status details the server sends with errors. */
export const CLIENT_PROTO_FILES: readonly string[] = Object.freeze([
  'caxton/v1/caxton.proto',
  'google/rpc/status.proto',
  'google/rpc/error_details.proto',
]);

/** Parses the .proto files with protobufjs' full build (the generator's path, and the fallback). */
export function parseClientProtos(): protobuf.Root {
  const full = createRequire(import.meta.url)('protobufjs') as typeof protobuf & { Root: typeof protobuf.Root };
  const root = new full.Root();
  // google/protobuf/*.proto are protobufjs's bundled common files; everything else is ours.
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : path.join(PROTO_ROOT, target));
  root.loadSync([...CLIENT_PROTO_FILES], { keepCase: false });
  return root;
}

/** The generated file: the .proto sources' hash beside protobufjs' JSON form of their Root. */
interface ClientProtoDescriptor {
  sourceSha256: string;
  root: protobuf.INamespace;
}

/**
 * SHA-256 of the .proto sources the descriptor is made from (each path and text, in order): the
 * descriptor is used only for the very sources it was made from. Not mtimes, which extraction
 * (npm, tar, rsync -a, cp -p) and coarse clocks make equal or older than the build's.
 */
export function protoSourcesSha256(): string {
  const hash = createHash('sha256');
  for (const f of CLIENT_PROTO_FILES)
    hash
      .update(f)
      .update('\0')
      .update(readFileSync(path.join(PROTO_ROOT, f)))
      .update('\0');
  return hash.digest('hex');
}

/** Writes the descriptor for the current sources (the build's generator): to a temporary file, then renamed into place. */
export function writeClientProtoDescriptor(file: string = fileURLToPath(CLIENT_PROTO_JSON)): void {
  const descriptor: ClientProtoDescriptor = { sourceSha256: protoSourcesSha256(), root: parseClientProtos().toJSON() };
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(descriptor)}\n`);
  renameSync(tmp, file); // a reader sees the old file or the whole new one, never a torn write
}

/**
 * The Root from the descriptor at `file` when it was made from the current .proto sources;
 * otherwise (missing, made from other sources, unreadable) the sources parsed. A descriptor that
 * cannot be read is said on stderr: every CLI call and node start-up would otherwise fail on it.
 */
export function loadClientProtoRoot(file: string = fileURLToPath(CLIENT_PROTO_JSON)): protobuf.Root {
  if (existsSync(file)) {
    try {
      const descriptor = JSON.parse(readFileSync(file, 'utf8')) as Partial<ClientProtoDescriptor>;
      if (descriptor.sourceSha256 === protoSourcesSha256() && descriptor.root !== undefined) {
        const fromJson = protobuf.Root.fromJSON(descriptor.root);
        fromJson.resolveAll();
        return fromJson;
      }
    } catch (err) {
      process.stderr.write(
        `caxton: the generated proto descriptor ${file} cannot be read (${(err as Error).message}); parsing the .proto files instead (run \`npm run build\` to regenerate it)\n`,
      );
    }
  }
  const parsed = parseClientProtos();
  parsed.resolveAll();
  return parsed;
}

let root: protobuf.Root | undefined;

/** The Root (read once), for the client and the node's server alike. */
export function clientProtoRoot(): protobuf.Root {
  root ??= loadClientProtoRoot();
  return root;
}
