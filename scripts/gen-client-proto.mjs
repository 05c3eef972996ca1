#!/usr/bin/env node
/**
 * The caxton.v1 proto and the google.rpc status types, parsed once at build time into protobufjs'
 * JSON form (client/dist/proto/caxton.v1.json), so a `caxton` command that talks to a node reads a
 * JSON descriptor with protobufjs' light build instead of loading the .proto parser and
 * @grpc/proto-loader (decision 2051). Generated from client/proto on every `npm run build` (after
 * tsc: it uses the client's own parse), never edited or committed: the .proto files stay the one
 * definition. Without it (a build that ran only tsc), or when its hash is not the sources', the
 * client parses the .proto files itself.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { writeClientProtoDescriptor } = await import(path.join(root, 'client', 'dist', 'src', 'index.js'));
// With the sources' SHA-256 (the reader's staleness test), written to a temporary file and renamed.
writeClientProtoDescriptor();
