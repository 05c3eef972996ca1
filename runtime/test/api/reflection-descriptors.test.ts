/** Reflection descriptors follow protoc's rules, which grpcurl and Go's protodesc enforce. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import descriptorModule from 'protobufjs/ext/descriptor/index.js';
import { reflectedPackage } from '../../src/api/reflected-proto.js';
import { mapEntryName } from '../../src/api/reflection-descriptors.js';

interface Msg {
  name: string;
  field: Array<{ name: string; typeName?: string; label?: number }>;
  nestedType: Msg[];
  options?: { mapEntry?: boolean };
}
const FileDescriptorProto = (
  descriptorModule as unknown as { FileDescriptorProto: { decode(b: Uint8Array): { name: string; messageType: Msg[] } } }
).FileDescriptorProto;

describe('reflection descriptors', () => {
  it('names map entries the way protoc does', () => {
    assert.equal(mapEntryName('config'), 'ConfigEntry');
    assert.equal(mapEntryName('user_params'), 'UserParamsEntry');
    assert.equal(mapEntryName('a_b_c'), 'ABCEntry');
  });

  it("every map field of caxton.v1 and grpc.health.v1 points at a correctly named entry, with the .proto's field names", () => {
    const files = new Map<string, ReturnType<typeof FileDescriptorProto.decode>>();
    for (const def of Object.values(reflectedPackage())) {
      for (const bin of (def as { fileDescriptorProtos?: Uint8Array[] }).fileDescriptorProtos ?? []) {
        const f = FileDescriptorProto.decode(bin);
        files.set(f.name, f);
      }
    }
    const entries: string[] = [];
    const walk = (m: Msg): void => {
      for (const nested of m.nestedType) {
        if (nested.options?.mapEntry) {
          const field = m.field.find((f) => f.typeName === nested.name || f.typeName?.endsWith(`.${m.name}.${nested.name}`));
          assert.ok(field, `${m.name}.${nested.name} has a field pointing at it`);
          assert.equal(nested.name, mapEntryName(field.name), `${m.name}.${field.name}`);
          entries.push(`${m.name}.${field.name}`);
        }
        walk(nested);
      }
    };
    for (const f of files.values()) for (const m of f.messageType) walk(m);
    assert.ok(entries.includes('AclMessage.user_params'), entries.join(', '));
    assert.ok(entries.includes('ArtifactHeader.config'));
    assert.ok(entries.includes('HealthListResponse.statuses'));
  });
});
