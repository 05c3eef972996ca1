/**
 * Loads the caxton.v1 proto at runtime (no code generation step) and hands out the definitions the
 * server, the client and server reflection need. The .proto files ship in runtime/proto, which
 * sits three levels above both src/api/ and dist/src/api/, so the same relative URL works from
 * source maps and from the compiled output.
 */
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { fixReflectionDescriptors } from './reflection-descriptors.js';

export const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));
export const CAXTON_PROTO_FILE = 'caxton/v1/caxton.proto';
export const CAXTON_SERVICE_NAME = 'caxton.v1.Caxton';
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

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
let reflectionDefinition: protoLoader.PackageDefinition | undefined;

/** The caxton.v1 package (loaded once; loading parses the .proto, which takes a few ms). */
export function caxtonPackage(): protoLoader.PackageDefinition {
  caxtonDefinition ??= protoLoader.loadSync(CAXTON_PROTO_FILE, LOADER_OPTIONS);
  return caxtonDefinition;
}

export function caxtonService(): ServiceDefinition {
  return caxtonPackage()[CAXTON_SERVICE_NAME] as ServiceDefinition;
}

/**
 * What server reflection describes: caxton.v1 plus grpc.health.v1, so `grpcurl list` shows both.
 * (The reflection service itself is not listed; grpcurl does not need it to be.) Loaded with the
 * .proto's own field names (snake_case; JSON names stay camelCase) and protoc's map entry names,
 * so descriptor validators accept it (reflection-descriptors.ts).
 */
export function reflectedPackage(): protoLoader.PackageDefinition {
  reflectionDefinition ??= fixReflectionDescriptors(
    protoLoader.loadSync([CAXTON_PROTO_FILE, healthProtoPath], { ...LOADER_OPTIONS, keepCase: true }));
  return reflectionDefinition;
}
