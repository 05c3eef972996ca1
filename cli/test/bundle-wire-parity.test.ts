/**
 * The bundled client (decision 2051: cli/dist/bundle, whose client chunk carries its own copy of
 * protobufjs' light build) puts the same bytes on the wire and reads back the same objects as the
 * compiled @caxton/client: for every method of the service, both directions, with 64-bit numbers
 * (a uint64 at its maximum, given as a string; a negative int64) and `bytes` fields, and for the
 * error details sent in the grpc-status-details-bin trailer. Then the same again on the bundle's
 * fallback (no generated descriptor, so the .proto files are parsed with node_modules' full
 * protobufjs build while the rest of the chunk keeps its bundled copy): a copy of the bundle in a
 * temporary tree that has everything but client/dist/proto/caxton.v1.json.
 * A slip in the bundled copy (util.Long not found, so the uint64 encodes as 0) fails here, and
 * in no test that only runs the bin.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as compiled from '@caxton/client';
import { CaxtonError } from '@caxton/core';
import type protobuf from 'protobufjs/light.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BUNDLE = path.join(REPO, 'cli', 'dist', 'bundle');
const WORKSPACES = ['core', 'client', 'runtime', 'sandbox', 'toolchain'];

/** The part of a client chunk this test uses, as the bundle exports it. */
interface ClientSide {
  caxtonService: typeof compiled.caxtonService;
  statusFromCaxtonError: typeof compiled.statusFromCaxtonError;
  decodeStatusDetails: typeof compiled.decodeStatusDetails;
  STATUS_DETAILS_KEY: string;
}

/** The bundle file (relative to the repository) that holds the client's proto.js, from esbuild's metafile. */
async function clientChunk(): Promise<string> {
  const meta = JSON.parse(await readFile(path.join(BUNDLE, 'meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  const found = Object.entries(meta.outputs).filter(([, out]) => Object.keys(out.inputs).includes('client/dist/src/proto.js'));
  assert.equal(
    found.length,
    1,
    `expected one bundle output holding client/dist/src/proto.js, found ${found.map(([p]) => p).join(', ') || 'none'}`,
  );
  return found[0]![0];
}

async function importChunk(file: string): Promise<ClientSide> {
  const mod = (await import(pathToFileURL(file).href)) as Partial<ClientSide>;
  for (const name of ['caxtonService', 'statusFromCaxtonError', 'decodeStatusDetails', 'STATUS_DETAILS_KEY'] as const) {
    assert.ok(mod[name] !== undefined, `${file} does not export ${name} (renamed by esbuild? look at its export list)`);
  }
  return mod as ClientSide;
}

/**
 * A value for every field of `type`, with the values a codec slip shows; of each oneof, member
 * `variant` (or its last), so that variants 0…n-1 of a message reach every member.
 */
function sample(type: protobuf.Type, depth = 0, variant = 0): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    const rt = field.resolvedType;
    let v: unknown;
    if (rt !== null && 'values' in rt) v = Object.keys(rt.values).at(-1);
    else if (rt !== null) v = depth > 3 ? {} : sample(rt, depth + 1);
    else {
      switch (field.type) {
        case 'string':
          v = `x${field.name} é日本🙂`;
          break;
        case 'bool':
          v = true;
          break;
        case 'bytes':
          v = Buffer.from([0, 1, 2, 255]);
          break;
        case 'int64':
        case 'sint64':
        case 'sfixed64':
          v = -(2 ** 40) - 3;
          break;
        case 'uint64':
        case 'fixed64':
          v = '18446744073709551615';
          break;
        case 'double':
        case 'float':
          v = 1.5;
          break;
        default:
          v = 7;
      }
    }
    if (field.map) v = { k1: v };
    else if (field.repeated) v = [v, v];
    obj[field.name] = v;
  }
  for (const oneof of type.oneofsArray) {
    const keep = oneof.oneof[Math.min(variant, oneof.oneof.length - 1)];
    for (const name of oneof.oneof) if (name !== keep) delete obj[name];
  }
  return obj;
}

/** Every value's own class (Buffer, Uint8Array, Object…) too: deepStrictEqual checks prototypes, this says which one differed. */
const withClasses = (x: unknown): string =>
  JSON.stringify(x, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? { __class: Object.getPrototypeOf(v)?.constructor?.name, ...v } : v,
  );

const ERROR = new CaxtonError('agent.not-found', 'no agent 日本 a', {
  kind: 'not-found',
  context: { agent: 'a', n: 3 },
  hint: 'list them with caxton agents',
});

/** Compares `bundled` with the compiled client; returns how many type/direction pairs it compared. */
function assertSameWire(bundled: ClientSide): number {
  const root = compiled.clientProtoRoot();
  const service = root.lookupService(compiled.CAXTON_SERVICE_NAME);
  const mine = compiled.caxtonService();
  const theirs = bundled.caxtonService();
  assert.deepEqual(Object.keys(theirs).sort(), Object.keys(mine).sort());
  let pairs = 0;
  for (const [name, method] of Object.entries(mine)) {
    const rpc = service.methods[name];
    assert.ok(rpc !== undefined, `no rpc ${name} in ${compiled.CAXTON_SERVICE_NAME}`);
    rpc.resolve();
    const other = theirs[name];
    assert.ok(other !== undefined, `the bundled service has no ${name}`);
    const directions = [
      ['requestSerialize', 'requestDeserialize', rpc.resolvedRequestType],
      ['responseSerialize', 'responseDeserialize', rpc.resolvedResponseType],
    ] as const;
    for (const [ser, de, type] of directions) {
      assert.ok(type !== null, `${name}: type not resolved`);
      const variants = Math.max(1, ...type.oneofsArray.map((o) => o.oneof.length));
      for (let variant = 0; variant < variants; variant++) {
        const obj = sample(type, 0, variant);
        const bytes = method[ser](obj);
        assert.deepEqual(other[ser](obj), bytes, `${name} ${ser} (variant ${variant})`);
        const ours = method[de](bytes);
        const got = other[de](bytes);
        assert.deepStrictEqual(got, ours, `${name} ${de} (variant ${variant})`);
        assert.equal(withClasses(got), withClasses(ours), `${name} ${de} (variant ${variant}): classes`);
      }
      pairs++;
    }
  }
  const mineStatus = compiled.statusFromCaxtonError(ERROR);
  const theirStatus = bundled.statusFromCaxtonError(ERROR);
  assert.equal(theirStatus.code, mineStatus.code);
  assert.equal(theirStatus.details, mineStatus.details);
  const trailer = mineStatus.metadata?.get(compiled.STATUS_DETAILS_KEY)[0];
  assert.ok(trailer instanceof Buffer && trailer.length > 0, 'the compiled client sent no status details');
  assert.deepEqual(theirStatus.metadata?.get(bundled.STATUS_DETAILS_KEY), [trailer]);
  const decoded = compiled.decodeStatusDetails(trailer);
  assert.equal(decoded.errorInfo?.reason, 'agent.not-found');
  assert.deepStrictEqual(bundled.decodeStatusDetails(trailer), decoded);
  return pairs;
}

/** Whether node_modules' full protobufjs build (its .proto parser) has been loaded in this process. */
const parserLoaded = (): boolean =>
  Object.keys(createRequire(import.meta.url).cache).some((f) => /[/\\]node_modules[/\\]protobufjs[/\\]src[/\\]parse\.js$/.test(f));

let tree: string;

describe('bundled client wire code = compiled client', () => {
  before(async () => {
    tree = await mkdtemp(path.join(tmpdir(), 'caxton-wire-parity-'));
  });
  after(async () => {
    await rm(tree, { recursive: true, force: true });
  });

  it('on the descriptor path (the generated caxton.v1.json, the bundled protobufjs)', async () => {
    const chunk = await clientChunk();
    const pairs = assertSameWire(await importChunk(path.join(REPO, chunk)));
    assert.ok(pairs >= 60, `compared only ${pairs} type/direction pairs`);
    assert.equal(parserLoaded(), false, 'the .proto parser was loaded: the descriptor path did not run');
  });

  it('on the fallback path (no descriptor: the .proto files parsed by the full build)', async () => {
    const chunk = await clientChunk();
    // The tree: the bundle copied (modules are found by their real path, so no symlink), the
    // client's dist without proto/caxton.v1.json, and the rest linked to the repository.
    const meta = JSON.parse(await readFile(path.join(BUNDLE, 'meta.json'), 'utf8')) as { outputs: Record<string, unknown> };
    for (const out of Object.keys(meta.outputs)) {
      await mkdir(path.dirname(path.join(tree, out)), { recursive: true });
      await cp(path.join(REPO, out), path.join(tree, out));
    }
    await mkdir(path.join(tree, 'client', 'dist', 'proto'), { recursive: true });
    await symlink(path.join(REPO, 'client', 'proto'), path.join(tree, 'client', 'proto'));
    await symlink(path.join(REPO, 'node_modules'), path.join(tree, 'node_modules'));
    for (const ws of WORKSPACES.filter((w) => w !== 'client')) await symlink(path.join(REPO, ws), path.join(tree, ws));
    await cp(path.join(REPO, 'cli', 'package.json'), path.join(tree, 'cli', 'package.json'));

    const pairs = assertSameWire(await importChunk(path.join(tree, chunk)));
    assert.ok(pairs >= 60, `compared only ${pairs} type/direction pairs`);
    assert.equal(parserLoaded(), true, 'the .proto parser was never loaded: the fallback did not run');
  });
});
