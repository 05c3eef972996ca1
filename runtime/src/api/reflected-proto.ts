/**
 * The proto package server reflection serves: caxton.v1 (its files are the client's, loaded the
 * same way: proto.ts of @caxton/client) plus grpc.health.v1.
 */
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { CAXTON_PROTO_FILE, LOADER_OPTIONS } from '@caxton/client';
import { fixReflectionDescriptors } from './reflection-descriptors.js';

export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

let reflectionDefinition: protoLoader.PackageDefinition | undefined;

/**
 * What server reflection describes: caxton.v1 plus grpc.health.v1, so `grpcurl list` shows both.
 * (The reflection service itself is not listed; grpcurl does not need it to be.) Loaded with the
 * .proto's own field names (snake_case; JSON names stay camelCase) and protoc's map entry names,
 * so descriptor validators accept it (reflection-descriptors.ts).
 */
export function reflectedPackage(): protoLoader.PackageDefinition {
  reflectionDefinition ??= fixReflectionDescriptors(
    protoLoader.loadSync([CAXTON_PROTO_FILE, healthProtoPath], { ...LOADER_OPTIONS, keepCase: true }),
  );
  return reflectionDefinition;
}
