/**
 * Server reflection serves the file descriptors proto-loader builds with protobufjs, and those
 * name every map field's implicit entry message after the field alone (`Config` for
 * `map<…> config`). protoc — and every tool that validates descriptors the way it does (grpcurl,
 * Go's protodesc) — requires `<CamelCaseFieldName>Entry` and refuses the whole file otherwise
 * ("incorrect implicit map entry name"), so `grpcurl describe` and every call through reflection
 * failed. This rewrites the entry names (and the fields that point at them) once, at load time.
 */
import type * as protoLoader from '@grpc/proto-loader';
import descriptorModule from 'protobufjs/ext/descriptor/index.js';

interface FieldDescriptor {
  name?: string;
  typeName?: string;
}
interface MessageDescriptor {
  name?: string;
  field?: FieldDescriptor[];
  nestedType?: MessageDescriptor[];
  options?: { mapEntry?: boolean } | null;
}
interface FileDescriptor {
  package?: string;
  messageType?: MessageDescriptor[];
}
interface Codec<T> {
  decode(bytes: Uint8Array): T;
  encode(message: T): { finish(): Uint8Array };
}
const FileDescriptorProto = (descriptorModule as unknown as { FileDescriptorProto: Codec<FileDescriptor> }).FileDescriptorProto;

/** protoc's rule: the field name in CamelCase (underscores dropped, the next letter upper-cased) + "Entry". */
export function mapEntryName(fieldName: string): string {
  let out = '';
  let upper = true;
  for (const ch of fieldName) {
    if (ch === '_') {
      upper = true;
      continue;
    }
    out += upper ? ch.toUpperCase() : ch;
    upper = false;
  }
  return `${out}Entry`;
}

function fixMessage(message: MessageDescriptor, scope: string): void {
  const fullName = `${scope}.${message.name ?? ''}`;
  for (const nested of message.nestedType ?? []) {
    if (nested.options?.mapEntry) {
      const oldName = nested.name ?? '';
      const field = (message.field ?? []).find((f) => f.typeName === oldName || f.typeName === `${fullName}.${oldName}`);
      if (field?.name) {
        const newName = mapEntryName(field.name);
        nested.name = newName;
        field.typeName = field.typeName!.startsWith('.') ? `${fullName}.${newName}` : newName;
      }
    }
    fixMessage(nested, fullName);
  }
}

/** One descriptor file with its map entries renamed (bytes in, bytes out). */
export function fixFileDescriptor(bytes: Uint8Array): Uint8Array {
  const file = FileDescriptorProto.decode(bytes);
  const scope = file.package ? `.${file.package}` : '';
  for (const m of file.messageType ?? []) fixMessage(m, scope);
  return FileDescriptorProto.encode(file).finish();
}

/**
 * Rewrites, in place, the file descriptors every definition of `pkg` carries. proto-loader shares
 * one array per loaded file set among all definitions, so each buffer is fixed once.
 */
export function fixReflectionDescriptors(pkg: protoLoader.PackageDefinition): protoLoader.PackageDefinition {
  const done = new Set<unknown>();
  for (const def of Object.values(pkg)) {
    const files = (def as { fileDescriptorProtos?: Uint8Array[] }).fileDescriptorProtos;
    if (!Array.isArray(files) || done.has(files)) continue;
    done.add(files);
    for (let i = 0; i < files.length; i++) files[i] = Buffer.from(fixFileDescriptor(files[i]!));
  }
  return pkg;
}
