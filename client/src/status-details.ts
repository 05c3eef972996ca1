/**
 * Rich gRPC error details: a `google.rpc.Status` in the `grpc-status-details-bin` trailer, the
 * convention every gRPC implementation and grpcurl understand. We send three detail types:
 * `ErrorInfo` (Caxton error code, context, hint), `BadRequest` (the offending field) and
 * `ResourceInfo` (which agent was not found). Encoding uses protobufjs with the vendored
 * google/rpc protos (the client's Root, proto-root.ts), so the bytes are exactly what other languages' decoders expect.
 */
import type protobuf from 'protobufjs/light.js';
import { clientProtoRoot } from './proto-root.js';

export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const ERROR_DOMAIN = 'caxton.dev';

const TYPE_PREFIX = 'type.googleapis.com/';
const ERROR_INFO = 'google.rpc.ErrorInfo';
const BAD_REQUEST = 'google.rpc.BadRequest';
const RESOURCE_INFO = 'google.rpc.ResourceInfo';

export interface FieldViolation {
  field: string;
  description: string;
}

export interface StatusDetails {
  code: number;
  message: string;
  errorInfo?: { reason: string; domain: string; metadata: Record<string, string> };
  fieldViolations?: FieldViolation[];
  resource?: { resourceType: string; resourceName: string };
}

interface RpcTypes {
  status: protobuf.Type;
  errorInfo: protobuf.Type;
  badRequest: protobuf.Type;
  resourceInfo: protobuf.Type;
}

let types: RpcTypes | undefined;

function rpcTypes(): RpcTypes {
  if (types) return types;
  // The client's one Root (decision 2051): google/rpc/*.proto are among the files it holds.
  const root = clientProtoRoot();
  types = {
    status: root.lookupType('google.rpc.Status'),
    errorInfo: root.lookupType(ERROR_INFO),
    badRequest: root.lookupType(BAD_REQUEST),
    resourceInfo: root.lookupType(RESOURCE_INFO),
  };
  return types;
}

/** google.protobuf.Any comes from protobufjs's bundled JSON, which keeps the snake_case name. */
interface AnyValue {
  type_url: string;
  value: Uint8Array;
}

function any(type: protobuf.Type, typeName: string, value: object): AnyValue {
  return { type_url: TYPE_PREFIX + typeName, value: type.encode(type.fromObject(value)).finish() };
}

export function encodeStatusDetails(details: StatusDetails): Buffer {
  const t = rpcTypes();
  const anys: AnyValue[] = [];
  if (details.errorInfo) anys.push(any(t.errorInfo, ERROR_INFO, details.errorInfo));
  if (details.fieldViolations?.length) anys.push(any(t.badRequest, BAD_REQUEST, { fieldViolations: details.fieldViolations }));
  if (details.resource) anys.push(any(t.resourceInfo, RESOURCE_INFO, details.resource));
  const status = t.status.fromObject({ code: details.code, message: details.message, details: anys });
  return Buffer.from(t.status.encode(status).finish());
}

/** Decodes what `encodeStatusDetails` (or any gRPC server) sent; unknown detail types are skipped. */
export function decodeStatusDetails(bytes: Uint8Array): StatusDetails {
  const t = rpcTypes();
  const status = t.status.toObject(t.status.decode(bytes), { defaults: true }) as {
    code: number;
    message: string;
    details: AnyValue[];
  };
  const out: StatusDetails = { code: status.code, message: status.message };
  for (const detail of status.details) {
    const name = detail.type_url.slice(detail.type_url.lastIndexOf('/') + 1);
    if (name === ERROR_INFO) {
      out.errorInfo = t.errorInfo.toObject(t.errorInfo.decode(detail.value), { defaults: true }) as StatusDetails['errorInfo'];
    } else if (name === BAD_REQUEST) {
      const br = t.badRequest.toObject(t.badRequest.decode(detail.value), { defaults: true }) as { fieldViolations: FieldViolation[] };
      out.fieldViolations = br.fieldViolations;
    } else if (name === RESOURCE_INFO) {
      const ri = t.resourceInfo.toObject(t.resourceInfo.decode(detail.value), { defaults: true }) as {
        resourceType: string;
        resourceName: string;
      };
      out.resource = { resourceType: ri.resourceType, resourceName: ri.resourceName };
    }
  }
  return out;
}
