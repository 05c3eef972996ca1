/**
 * Loads the caxton.v1 proto at runtime (no code generation step) and hands out the definitions the
 * server and the client need (server reflection's copy is the runtime's: reflected-proto.ts). The
 * .proto files ship in client/proto, two levels above dist/src/ where this module runs from.
 * Nothing is parsed at import: `caxton --help` never pays for it, a call does, once.
 */
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_ROOT = fileURLToPath(new URL('../../proto/', import.meta.url));
export const CAXTON_PROTO_FILE = 'caxton/v1/caxton.proto';
export const CAXTON_SERVICE_NAME = 'caxton.v1.Caxton';

/** Must match what wire.ts declares: camelCase, numbers for 64-bit, enum names, defaults, oneofs. */
export const LOADER_OPTIONS: protoLoader.Options = Object.freeze({
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
});

let caxtonDefinition: protoLoader.PackageDefinition | undefined;

/** The caxton.v1 package (loaded once; loading parses the .proto, which takes a few ms). */
export function caxtonPackage(): protoLoader.PackageDefinition {
  caxtonDefinition ??= protoLoader.loadSync(CAXTON_PROTO_FILE, LOADER_OPTIONS);
  return caxtonDefinition;
}

export function caxtonService(): ServiceDefinition {
  return caxtonPackage()[CAXTON_SERVICE_NAME] as ServiceDefinition;
}
