/**
 * A generic gRPC client in the manner of grpcurl: it knows grpc's published reflection.proto and
 * nothing about Caxton. It lists services, fetches the file descriptors a symbol needs (following
 * their dependencies by file name), and turns them into a client it can call methods on.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';

const require = createRequire(import.meta.url);
const reflectionProto = (version: 'v1' | 'v1alpha'): string =>
  path.join(path.dirname(require.resolve('@grpc/reflection')), `../proto/grpc/reflection/${version}/reflection.proto`);

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

type Ctor = grpc.ServiceClientConstructor;
type Tree = { [key: string]: Tree | Ctor };

/** Walks `a.b.C` through a loaded package tree. */
export function lookupService(pkg: grpc.GrpcObject, fullName: string): Ctor {
  let node: Tree | Ctor | undefined = pkg as unknown as Tree;
  for (const part of fullName.split('.')) node = (node as Tree | undefined)?.[part];
  if (typeof node !== 'function') throw new Error(`no service ${fullName} in the loaded descriptors`);
  return node;
}

export class ReflectionClient {
  private readonly client: grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionResponse> };

  constructor(
    readonly address: string,
    version: 'v1' | 'v1alpha' = 'v1',
  ) {
    const pkg = grpc.loadPackageDefinition(
      protoLoader.loadSync(reflectionProto(version), { keepCase: false, oneofs: true, defaults: true }),
    );
    const Client = lookupService(pkg, `grpc.reflection.${version}.ServerReflection`);
    this.client = new Client(address, grpc.credentials.createInsecure()) as never;
  }

  close(): void {
    this.client.close();
  }

  /** One request on one reflection stream (no metadata: reflection needs no token). */
  private async ask(request: object): Promise<ReflectionResponse> {
    const call = this.client.ServerReflectionInfo();
    const response = new Promise<ReflectionResponse>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    call.write(request);
    call.end();
    const res = await response;
    if (res.errorResponse) throw Object.assign(new Error(res.errorResponse.errorMessage), { code: res.errorResponse.errorCode });
    return res;
  }

  async listServices(): Promise<string[]> {
    return (await this.ask({ listServices: '*' })).listServicesResponse!.service.map((s) => s.name);
  }

  /** Every file descriptor `symbol` needs, by file name (transitively, like grpcurl). */
  async filesFor(symbol: string): Promise<Map<string, Buffer>> {
    const files = new Map<string, Buffer>();
    const take = (res: ReflectionResponse): string[] => {
      const wanted: string[] = [];
      for (const bytes of res.fileDescriptorResponse!.fileDescriptorProto) {
        const file = descriptor.FileDescriptorProto.decode(bytes) as unknown as { name: string; dependency: string[] };
        files.set(file.name, Buffer.from(bytes));
        wanted.push(...(file.dependency ?? []));
      }
      return wanted;
    };
    let missing = take(await this.ask({ fileContainingSymbol: symbol }));
    while ((missing = missing.filter((f) => !files.has(f))).length > 0) {
      missing = take(await this.ask({ fileByFilename: missing[0] }));
    }
    return files;
  }
}

/** Descriptors → a loaded package, as a generic client does (64-bit integers as strings, like grpcurl's JSON). */
export function packageFromDescriptors(files: Map<string, Buffer>): grpc.GrpcObject {
  const set = protobuf.Writer.create();
  for (const bytes of files.values()) set.uint32((1 << 3) | 2).bytes(bytes); // FileDescriptorSet.file = 1
  return grpc.loadPackageDefinition(
    protoLoader.loadFileDescriptorSetFromBuffer(Buffer.from(set.finish()), {
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    }),
  );
}
