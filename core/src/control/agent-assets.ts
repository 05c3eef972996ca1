/**
 * An agent's read-only assets (decision 2192): files shipped inside its component, in a custom
 * section named `caxton:assets`, so they travel, are digested, signed, stored, distributed,
 * upgraded and rolled out with the component itself; the sandbox shows them at `/assets`. Pure:
 * the section's place in a component binary, and the one encoding of the files in it. Hostile
 * input: every length is checked against what is left and the limits before anything is taken.
 *
 * The payload: `CXA1`, then a u32 count, then per file a u16 path length, the path (UTF-8), a u32
 * byte length and the bytes (integers little-endian). Paths are /data's (resolveAgentPath:
 * relative, canonical, within the name, path and depth bounds), each once, no path both a file
 * and a directory.
 */
import { AGENT_ASSET_LIMITS, AGENT_FILE_LIMITS } from './limits/index.js';
import { resolveAgentPath } from './agent-files.js';
import { CaxtonError } from '../errors.js';

export const ASSETS_ROOT = '/assets';
export const ASSETS_SECTION = 'caxton:assets';
const MAGIC = [0x43, 0x58, 0x41, 0x31]; // "CXA1"

export interface AssetFile {
  /** Relative to /assets, `/`-separated, canonical. */
  path: string;
  bytes: Uint8Array;
}

/** Why an asset list or payload is refused (at the CLI's pack, or a node's preparation). */
export class AssetsInvalidError extends CaxtonError {
  constructor(readonly reason: string) {
    super('agent.assets-invalid', `the component's assets are refused: ${reason}`, {
      kind: 'invalid-argument',
      hint: `assets are regular files below the --assets directory: at most ${AGENT_ASSET_LIMITS.maxFiles} files, ${AGENT_ASSET_LIMITS.maxFileBytes} bytes each and ${AGENT_ASSET_LIMITS.maxTotalBytes} together, paths as /data's (docs/writing-agents.md, "Assets at /assets")`,
    });
  }
}

/** Checks a list of files against the rules and the limits (the CLI's walk and the decoder alike). */
export function checkAssets(files: readonly AssetFile[]): void {
  const limits = AGENT_ASSET_LIMITS;
  if (files.length > limits.maxFiles) throw new AssetsInvalidError(`${files.length} files, more than ${limits.maxFiles}`);
  let total = 0;
  const paths = new Set<string>();
  for (const f of files) {
    const r = resolveAgentPath('', f.path, AGENT_FILE_LIMITS);
    if ('refused' in r || r.path !== f.path || f.path === '')
      throw new AssetsInvalidError(
        `${JSON.stringify(f.path.slice(0, 80))} is not a plain path (${'refused' in r ? r.refused : 'not canonical'})`,
      );
    if (paths.has(f.path)) throw new AssetsInvalidError(`${f.path} is given twice`);
    paths.add(f.path);
    if (f.bytes.byteLength > limits.maxFileBytes)
      throw new AssetsInvalidError(`${f.path} has ${f.bytes.byteLength} bytes, more than ${limits.maxFileBytes}`);
    total += f.bytes.byteLength;
    if (total > limits.maxTotalBytes) throw new AssetsInvalidError(`more than ${limits.maxTotalBytes} bytes together`);
  }
  // A file cannot also be a directory: no path may be a parent of another file's.
  for (const p of paths) {
    for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1))
      if (paths.has(p.slice(0, i))) throw new AssetsInvalidError(`${p.slice(0, i)} is both a file and a directory`);
  }
}

/** The largest payload the limits allow: the header, every file's path and length fields at their most, and the bytes. */
export const ASSETS_PAYLOAD_CEILING =
  8 + AGENT_ASSET_LIMITS.maxFiles * (2 + AGENT_FILE_LIMITS.maxPathBytes + 4) + AGENT_ASSET_LIMITS.maxTotalBytes;

export function encodeAssets(files: readonly AssetFile[]): Uint8Array {
  checkAssets(files);
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const paths = sorted.map((f) => Buffer.from(f.path, 'utf8'));
  const size = 8 + sorted.reduce((n, f, i) => n + 2 + paths[i]!.byteLength + 4 + f.bytes.byteLength, 0);
  const out = Buffer.alloc(size);
  out.set(MAGIC, 0);
  out.writeUInt32LE(sorted.length, 4);
  let at = 8;
  sorted.forEach((f, i) => {
    out.writeUInt16LE(paths[i]!.byteLength, at);
    out.set(paths[i]!, at + 2);
    at += 2 + paths[i]!.byteLength;
    out.writeUInt32LE(f.bytes.byteLength, at);
    out.set(f.bytes, at + 4);
    at += 4 + f.bytes.byteLength;
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The files of a payload; throws AssetsInvalidError for anything malformed or past the limits. */
export function decodeAssets(payload: Uint8Array): AssetFile[] {
  if (payload.byteLength > ASSETS_PAYLOAD_CEILING)
    throw new AssetsInvalidError(`a payload of ${payload.byteLength} bytes, more than the limits allow`);
  const b = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (b.byteLength < 8 || MAGIC.some((m, i) => b[i] !== m)) throw new AssetsInvalidError('not an assets payload (no CXA1 header)');
  const count = b.readUInt32LE(4);
  if (count > AGENT_ASSET_LIMITS.maxFiles) throw new AssetsInvalidError(`${count} files, more than ${AGENT_ASSET_LIMITS.maxFiles}`);
  const files: AssetFile[] = [];
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let at = 8;
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (at + 2 > b.byteLength) throw new AssetsInvalidError('truncated');
    const pathLength = b.readUInt16LE(at);
    if (pathLength > AGENT_FILE_LIMITS.maxPathBytes || at + 2 + pathLength + 4 > b.byteLength)
      throw new AssetsInvalidError('truncated or overlong path');
    let path: string;
    try {
      path = utf8.decode(b.subarray(at + 2, at + 2 + pathLength));
    } catch {
      throw new AssetsInvalidError('a path is not UTF-8');
    }
    at += 2 + pathLength;
    const length = b.readUInt32LE(at);
    if (length > AGENT_ASSET_LIMITS.maxFileBytes || at + 4 + length > b.byteLength)
      throw new AssetsInvalidError(`truncated or oversized file ${path.slice(0, 80)}`);
    // The total before the copy: memory never holds more than the limit's worth of copies.
    total += length;
    if (total > AGENT_ASSET_LIMITS.maxTotalBytes)
      throw new AssetsInvalidError(`more than ${AGENT_ASSET_LIMITS.maxTotalBytes} bytes together`);
    files.push({ path, bytes: new Uint8Array(b.subarray(at + 4, at + 4 + length)) });
    at += 4 + length;
  }
  if (at !== b.byteLength) throw new AssetsInvalidError('bytes after the last file');
  checkAssets(files);
  return files;
}

/** Reads an unsigned LEB128 u32 at `at`; undefined when it runs out or overflows. */
function leb(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0, i = at; shift < 35 && i < bytes.byteLength; shift += 7, i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return value > 0xffffffff ? undefined : { value, next: i + 1 };
  }
  return undefined;
}

function lebBytes(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/**
 * The payloads of the top-level custom sections named `name` in a WebAssembly module or component
 * binary (a walk of its section headers; nothing else is parsed). Undefined when the binary's
 * sections do not add up: the component's own validation refuses it then.
 */
export function customSections(binary: Uint8Array, name: string): Uint8Array[] | undefined {
  if (binary.byteLength < 8 || binary[0] !== 0x00 || binary[1] !== 0x61 || binary[2] !== 0x73 || binary[3] !== 0x6d) return undefined;
  const wanted = Buffer.from(name, 'utf8');
  const found: Uint8Array[] = [];
  let at = 8;
  while (at < binary.byteLength) {
    const id = binary[at]!;
    const size = leb(binary, at + 1);
    if (size === undefined || size.next + size.value > binary.byteLength) return undefined;
    const end = size.next + size.value;
    if (id === 0) {
      const n = leb(binary, size.next);
      if (n === undefined || n.next + n.value > end) return undefined;
      const sectionName = binary.subarray(n.next, n.next + n.value);
      if (Buffer.compare(sectionName, wanted) === 0) found.push(binary.subarray(n.next + n.value, end));
    }
    at = end;
  }
  return found;
}

/** `binary` with one custom section `name` holding `payload` appended (a custom section may sit anywhere at the top level). */
export function withCustomSection(binary: Uint8Array, name: string, payload: Uint8Array): Uint8Array {
  const nameBytes = Buffer.from(name, 'utf8');
  const body = [...lebBytes(nameBytes.byteLength), ...nameBytes];
  const header = [0x00, ...lebBytes(body.length + payload.byteLength), ...body];
  const out = new Uint8Array(binary.byteLength + header.length + payload.byteLength);
  out.set(binary, 0);
  out.set(header, binary.byteLength);
  out.set(payload, binary.byteLength + header.length);
  return out;
}

/**
 * The assets a component ships (empty when none). Throws AssetsInvalidError when it carries more
 * than one assets section, or one that is malformed or past the limits.
 */
export function componentAssets(binary: Uint8Array): AssetFile[] {
  const sections = customSections(binary, ASSETS_SECTION);
  if (sections === undefined || sections.length === 0) return [];
  if (sections.length > 1) throw new AssetsInvalidError(`${sections.length} ${ASSETS_SECTION} sections, at most one`);
  return decodeAssets(sections[0]!);
}

/** `binary` without its top-level custom sections named `name` (others kept, in order); undefined when its sections do not add up. */
export function withoutCustomSections(binary: Uint8Array, name: string): Uint8Array | undefined {
  if (customSections(binary, name) === undefined) return undefined;
  const wanted = Buffer.from(name, 'utf8');
  const kept: Uint8Array[] = [binary.subarray(0, 8)];
  let at = 8;
  while (at < binary.byteLength) {
    const size = leb(binary, at + 1)!;
    const end = size.next + size.value;
    const n = binary[at] === 0 ? leb(binary, size.next) : undefined;
    const named = n !== undefined && Buffer.compare(binary.subarray(n.next, n.next + n.value), wanted) === 0;
    if (!named) kept.push(binary.subarray(at, end));
    at = end;
  }
  return new Uint8Array(Buffer.concat(kept));
}

/**
 * The assets as the sandbox serves them: each file by path and each directory's listing (the
 * implied ones included), sorted; built once per artifact and shared, read-only, by its instances.
 */
export class AssetTree {
  readonly files = new Map<string, Uint8Array>();
  readonly listings = new Map<string, { name: string; type: 'regular-file' | 'directory' }[]>([['', []]]);

  constructor(assets: readonly AssetFile[]) {
    const listed = new Set<string>();
    for (const asset of assets) {
      this.files.set(asset.path, asset.bytes);
      let path = asset.path;
      let type: 'regular-file' | 'directory' = 'regular-file';
      // Each name into its parent's listing, up to the first parent listed already.
      while (!listed.has(path)) {
        listed.add(path);
        const slash = path.lastIndexOf('/');
        const parent = slash < 0 ? '' : path.slice(0, slash);
        const entry = { name: path.slice(slash + 1), type };
        const listing = this.listings.get(parent);
        if (listing === undefined) this.listings.set(parent, [entry]);
        else listing.push(entry);
        if (parent === '') break;
        path = parent;
        type = 'directory';
      }
    }
    for (const listing of this.listings.values()) listing.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
