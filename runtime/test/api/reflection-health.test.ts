/**
 * What grpcurl relies on: server reflection (list services, fetch file descriptors) and the
 * standard health service, both reachable without a token. The reflection client here is generic:
 * it is built from grpc's published reflection.proto, knows nothing about Caxton, and learns the
 * API only from the descriptors the server returns.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { protoPath as healthProto } from 'grpc-health-check';
import { startHarness, type Harness } from './support/harness.js';

const require = createRequire(import.meta.url);
const REFLECTION_PROTO = path.join(path.dirname(require.resolve('@grpc/reflection')), '../proto/grpc/reflection/v1/reflection.proto');

type Loaded = Record<string, Record<string, Record<string, Record<string, grpc.ServiceClientConstructor>>>>;

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
  fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
  errorResponse?: { errorCode: number; errorMessage: string };
}

interface MethodDescriptor {
  name: string;
  inputType: string;
  outputType: string;
  clientStreaming?: boolean;
  serverStreaming?: boolean;
}

interface FileDescriptor {
  name: string;
  package: string;
  service: { name: string; method: MethodDescriptor[] }[];
  messageType: { name: string }[];
}

function reflectionClient(address: string): grpc.Client & { ServerReflectionInfo(): grpc.ClientDuplexStream<object, ReflectionResponse> } {
  const pkg = grpc.loadPackageDefinition(
    protoLoader.loadSync(REFLECTION_PROTO, { keepCase: false, oneofs: true, defaults: true }),
  ) as unknown as Loaded;
  const Ctor = pkg.grpc!.reflection!.v1!.ServerReflection!;
  return new Ctor(address, grpc.credentials.createInsecure()) as never;
}

/** One request/response exchange on a fresh reflection stream, without any token. */
async function reflect(address: string, request: object): Promise<ReflectionResponse> {
  const client = reflectionClient(address);
  try {
    const call = client.ServerReflectionInfo();
    const response = new Promise<ReflectionResponse>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    call.write(request);
    call.end();
    return await response;
  } finally {
    client.close();
  }
}

describe('server reflection and health (no token)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it('lists the Caxton and health services', async () => {
    const res = await reflect(h.address, { listServices: '*' });
    const names = res.listServicesResponse!.service.map((s) => s.name).sort();
    assert.deepEqual(names, ['caxton.v1.Caxton', 'grpc.health.v1.Health']);
  });

  it('returns file descriptors that describe every RPC with its streaming shape', async () => {
    const res = await reflect(h.address, { fileContainingSymbol: 'caxton.v1.Caxton' });
    const files = res.fileDescriptorResponse!.fileDescriptorProto.map(
      (bytes) => descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes)) as FileDescriptor,
    );
    const caxton = files.find((f) => f.package === 'caxton.v1');
    assert.ok(caxton, `no caxton.v1 file among ${files.map((f) => f.name).join(', ')}`);
    const service = caxton.service.find((s) => s.name === 'Caxton')!;
    const shape = Object.fromEntries(
      service.method.map((m) => [
        m.name,
        `${m.clientStreaming ? 'stream ' : ''}${m.inputType} -> ${m.serverStreaming ? 'stream ' : ''}${m.outputType}`,
      ]),
    );
    assert.deepEqual(shape, {
      DeployAgent: 'stream .caxton.v1.ArtifactUpload -> .caxton.v1.DeployAgentResponse',
      UpgradeAgent: 'stream .caxton.v1.ArtifactUpload -> .caxton.v1.UpgradeAgentResponse',
      RollbackAgent: '.caxton.v1.RollbackAgentRequest -> .caxton.v1.UpgradeAgentResponse',
      StopAgent: '.caxton.v1.StopAgentRequest -> .caxton.v1.StopAgentResponse',
      ListAgents: '.caxton.v1.ListAgentsRequest -> .caxton.v1.ListAgentsResponse',
      GetAgent: '.caxton.v1.GetAgentRequest -> .caxton.v1.GetAgentResponse',
      SendMessage: '.caxton.v1.SendMessageRequest -> .caxton.v1.SendMessageResponse',
      TailMessages: '.caxton.v1.TailMessagesRequest -> stream .caxton.v1.MessageEvent',
      StreamLogs: '.caxton.v1.StreamLogsRequest -> stream .caxton.v1.LogEntry',
      SearchDirectory: '.caxton.v1.SearchDirectoryRequest -> .caxton.v1.SearchDirectoryResponse',
      ListTopics: '.caxton.v1.ListTopicsRequest -> .caxton.v1.ListTopicsResponse',
      NodeStatus: '.caxton.v1.NodeStatusRequest -> .caxton.v1.NodeStatusResponse',
      GetState: '.caxton.v1.GetStateRequest -> .caxton.v1.GetStateResponse',
      ListState: '.caxton.v1.ListStateRequest -> .caxton.v1.ListStateResponse',
      ExportState: '.caxton.v1.ExportStateRequest -> stream .caxton.v1.StateEntry',
      ImportState: 'stream .caxton.v1.ImportStateRequest -> .caxton.v1.ImportStateResponse',
      ListAudit: '.caxton.v1.ListAuditRequest -> stream .caxton.v1.AuditRecordEntry',
      GetAuditAnchor: '.caxton.v1.GetAuditAnchorRequest -> .caxton.v1.GetAuditAnchorResponse',
      Freeze: '.caxton.v1.FreezeRequest -> .caxton.v1.FreezeResponse',
      Thaw: '.caxton.v1.ThawRequest -> .caxton.v1.ThawResponse',
      SuspendAgent: '.caxton.v1.SuspendAgentRequest -> .caxton.v1.SuspendAgentResponse',
      ResumeAgent: '.caxton.v1.ResumeAgentRequest -> .caxton.v1.ResumeAgentResponse',
      ScaleAgent: '.caxton.v1.ScaleAgentRequest -> .caxton.v1.ScaleAgentResponse',
      RotateTokens: '.caxton.v1.RotateTokensRequest -> .caxton.v1.RotateTokensResponse',
      IssueToken: '.caxton.v1.IssueTokenRequest -> .caxton.v1.IssueTokenResponse',
      ListTokens: '.caxton.v1.ListTokensRequest -> .caxton.v1.ListTokensResponse',
      RevokeToken: '.caxton.v1.RevokeTokenRequest -> .caxton.v1.RevokeTokenResponse',
      ListDeadLetters: '.caxton.v1.ListDeadLettersRequest -> .caxton.v1.ListDeadLettersResponse',
      GetDeadLetter: '.caxton.v1.GetDeadLetterRequest -> .caxton.v1.GetDeadLetterResponse',
      RedriveDeadLetters: '.caxton.v1.RedriveDeadLettersRequest -> .caxton.v1.RedriveDeadLettersResponse',
      PurgeDeadLetters: '.caxton.v1.PurgeDeadLettersRequest -> .caxton.v1.PurgeDeadLettersResponse',
      GetConversationCosts: '.caxton.v1.GetConversationCostsRequest -> .caxton.v1.GetConversationCostsResponse',
    });
    assert.ok(caxton.messageType.some((m) => m.name === 'AgentInfo'));
  });

  it('answers an unknown symbol with a reflection error, not a crash', async () => {
    const res = await reflect(h.address, { fileContainingSymbol: 'no.such.Service' });
    assert.equal(res.errorResponse?.errorCode, grpc.status.NOT_FOUND);
    assert.equal((await h.client.status()).nodeId, 'node-test');
  });

  it('reports SERVING through grpc.health.v1', async () => {
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { keepCase: false, enums: String })) as unknown as Loaded;
    const Health = pkg.grpc!.health!.v1!.Health!;
    const client = new Health(h.address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, Function>;
    try {
      for (const service of ['', 'caxton.v1.Caxton']) {
        const res = await new Promise<{ status: string }>((resolve, reject) =>
          client.Check!({ service }, (err: grpc.ServiceError | null, r: { status: string }) => (err ? reject(err) : resolve(r))),
        );
        assert.equal(res.status, 'SERVING', `service "${service}"`);
      }
      const unknown = await new Promise<grpc.ServiceError>((resolve) =>
        client.Check!({ service: 'nope' }, (err: grpc.ServiceError) => resolve(err)),
      );
      assert.equal(unknown.code, grpc.status.NOT_FOUND);
    } finally {
      client.close();
    }
  });
});
