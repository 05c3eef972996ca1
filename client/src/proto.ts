/**
 * The caxton.v1 service as gRPC needs it (method paths, serializers), built from the protobufjs
 * types of proto-root.ts (decision 2051: a JSON descriptor generated at build time, read with
 * protobufjs' light build). Server reflection's copy is the runtime's (reflected-proto.ts, which
 * still uses @grpc/proto-loader: it needs the descriptors this does not build). Nothing is read at
 * import: `caxton --help` never pays for it, a call does, once.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import type protobuf from 'protobufjs/light.js';
import { clientProtoRoot, PROTO_ROOT } from './proto-root.js';

export { PROTO_ROOT };
export const CAXTON_PROTO_FILE = 'caxton/v1/caxton.proto';
export const CAXTON_SERVICE_NAME = 'caxton.v1.Caxton';

/**
 * How messages become objects, as wire.ts declares them: camelCase, numbers for 64-bit, enum names,
 * defaults, oneofs. The serializers below read with these; reflected-proto.ts loads with them.
 */
export const LOADER_OPTIONS: protoLoader.Options = Object.freeze({
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
});

const TO_OBJECT: protobuf.IConversionOptions = Object.freeze({ longs: Number, enums: String, defaults: true, oneofs: true });

/** Objects to bytes and back, as @grpc/proto-loader makes them (fromObject + encode; decode + toObject). */
function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value)) throw new Error(`${type.name}: a message must be an object, not an array`);
    return Buffer.from(type.encode(type.fromObject(value)).finish());
  };
}

function deserializer(type: protobuf.Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), TO_OBJECT);
}

let service: ServiceDefinition | undefined;

export function caxtonService(): ServiceDefinition {
  if (service !== undefined) return service;
  const svc = clientProtoRoot().lookupService(CAXTON_SERVICE_NAME);
  const def: Record<string, unknown> = {};
  for (const m of svc.methodsArray) {
    const request = m.resolvedRequestType!;
    const response = m.resolvedResponseType!;
    def[m.name] = {
      path: `/${CAXTON_SERVICE_NAME}/${m.name}`,
      requestStream: m.requestStream === true,
      responseStream: m.responseStream === true,
      requestSerialize: serializer(request),
      requestDeserialize: deserializer(request),
      responseSerialize: serializer(response),
      responseDeserialize: deserializer(response),
      // grpc-js also names each method in lowerCamelCase on a generated client (proto-loader's originalName).
      originalName: `${m.name[0]!.toLowerCase()}${m.name.slice(1)}`,
    };
  }
  service = def as ServiceDefinition;
  return service;
}
