/** A grpc.health.v1 Check through the published health .proto (what a probe or grpcurl sends). */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProto } from 'grpc-health-check';

type HealthClient = grpc.Client & { Check(r: { service: string }, cb: (e: grpc.ServiceError | null, r: { status: string }) => void): void };
const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { keepCase: false, enums: String })) as unknown as {
  grpc: { health: { v1: { Health: new (address: string, creds: grpc.ChannelCredentials) => HealthClient } } };
};

/** The status of `service`, or the gRPC error's code name (e.g. NOT_FOUND, UNAVAILABLE). */
export async function healthCheck(address: string, service = ''): Promise<string> {
  const client = new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<string>((resolve) =>
      client.Check({ service }, (err, res) => resolve(err ? grpc.status[err.code] : res.status)),
    );
  } finally {
    client.close();
  }
}
