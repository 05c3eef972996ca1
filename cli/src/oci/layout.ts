/**
 * A Caxton component as an OCI artifact (decision 2172): the CNCF Wasm layout — an image manifest
 * whose config has the media type `application/vnd.wasm.config.v0+json` and whose one layer is the
 * component, `application/wasm`. The DSSE signature and the source language ride as annotations of
 * that layer, so a pulled component verifies (and shows) exactly as a local one does, with no
 * referrers API. Pure: bytes in, bytes and descriptors out; every field a pull reads is checked.
 */
import { createHash } from 'node:crypto';
import { OciError } from './errors.js';

export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const WASM_CONFIG_MEDIA_TYPE = 'application/vnd.wasm.config.v0+json';
export const WASM_LAYER_MEDIA_TYPE = 'application/wasm';
/** The layer's DSSE envelope (JSON text), as `caxton sign` writes `<artifact>.dsse.json`. */
export const SIGNATURE_ANNOTATION = 'dev.caxton.signature.dsse';
/** The source language `caxton build` recorded. */
export const LANGUAGE_ANNOTATION = 'dev.caxton.language';
export const TITLE_ANNOTATION = 'org.opencontainers.image.title';

/** What a pull reads at most before checking: a manifest (the distribution spec's 4 MiB) and a config. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
export const MAX_CONFIG_BYTES = 64 * 1024;
/** An annotation's value at most (a DSSE envelope is a few KiB). */
const MAX_ANNOTATION_BYTES = 64 * 1024;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface WasmArtifact {
  config: Uint8Array;
  manifest: Uint8Array;
  configDescriptor: Descriptor;
  layerDescriptor: Descriptor;
  /** sha256 of the manifest's bytes: what `@sha256:…` names. */
  manifestDigest: string;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The manifest, config and descriptors of `component` (a whole component's bytes). */
export function wasmArtifact(component: Uint8Array, o: { title: string; signature?: string; language?: string }): WasmArtifact {
  const layerDigest = sha256Digest(component);
  const config = Buffer.from(JSON.stringify({ architecture: 'wasm', os: 'wasip2', layerDigests: [layerDigest] }), 'utf8');
  const annotations: Record<string, string> = { [TITLE_ANNOTATION]: o.title };
  if (o.signature !== undefined) annotations[SIGNATURE_ANNOTATION] = o.signature;
  if (o.language !== undefined) annotations[LANGUAGE_ANNOTATION] = o.language;
  const configDescriptor: Descriptor = { mediaType: WASM_CONFIG_MEDIA_TYPE, digest: sha256Digest(config), size: config.length };
  const layerDescriptor: Descriptor = { mediaType: WASM_LAYER_MEDIA_TYPE, digest: layerDigest, size: component.length, annotations };
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_MEDIA_TYPE, config: configDescriptor, layers: [layerDescriptor] }),
    'utf8',
  );
  return { config, manifest, configDescriptor, layerDescriptor, manifestDigest: sha256Digest(manifest) };
}

/**
 * A pulled manifest, read: an OCI image manifest with the Wasm config media type and exactly one
 * `application/wasm` layer of at most `maxLayerBytes`. Anything else is `oci.not-a-component`
 * (another kind of image, a Docker manifest, an index) or `oci.protocol` (not JSON, fields of the
 * wrong shape): nothing of it is fetched.
 */
export function readWasmManifest(bytes: Uint8Array, maxLayerBytes: number, where: string): { config: Descriptor; layer: Descriptor } {
  const protocol = (why: string): OciError =>
    new OciError('oci.protocol', `the manifest of ${where} is not a valid OCI manifest: ${why}`, {
      context: { reference: where },
      hint: 'push it again with `caxton push`, or check that the registry serves what was pushed',
    });
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw protocol('not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw protocol('not an object');
  const m = doc as Record<string, unknown>;
  if (m.schemaVersion !== 2) throw protocol('schemaVersion is not 2');
  if (m.mediaType !== undefined && m.mediaType !== MANIFEST_MEDIA_TYPE) {
    throw new OciError('oci.not-a-component', `${where} is a ${String(m.mediaType).slice(0, 100)}, not a Wasm component artifact`, {
      context: { reference: where, mediaType: String(m.mediaType).slice(0, 100) },
      hint: 'name a component pushed with `caxton push` (an OCI image manifest with one application/wasm layer)',
    });
  }
  const config = descriptor(m.config, 'config', protocol);
  if (!Array.isArray(m.layers)) throw protocol('layers is not a list');
  const layers = m.layers.map((l, i) => descriptor(l, `layers[${i}]`, protocol));
  if (config.mediaType !== WASM_CONFIG_MEDIA_TYPE || layers.length !== 1 || layers[0]!.mediaType !== WASM_LAYER_MEDIA_TYPE) {
    throw new OciError(
      'oci.not-a-component',
      `${where} is not a Wasm component artifact (config ${config.mediaType.slice(0, 100)}, ${layers.length} layer${layers.length === 1 ? '' : 's'}${layers[0] ? ` of ${layers[0].mediaType.slice(0, 100)}` : ''})`,
      {
        context: { reference: where },
        hint: `name a component pushed with \`caxton push\`: config ${WASM_CONFIG_MEDIA_TYPE}, one ${WASM_LAYER_MEDIA_TYPE} layer`,
      },
    );
  }
  if (config.size > MAX_CONFIG_BYTES) throw protocol(`its config is ${config.size} bytes (at most ${MAX_CONFIG_BYTES})`);
  const layer = layers[0]!;
  if (layer.size > maxLayerBytes) {
    throw new OciError('oci.too-large', `the component of ${where} is ${layer.size} bytes, more than any node accepts (${maxLayerBytes})`, {
      context: { reference: where, size: layer.size, max: maxLayerBytes },
      hint: 'is it the component? a .wasm agent is usually well under a few MiB',
    });
  }
  return { config, layer };
}

function descriptor(value: unknown, field: string, protocol: (why: string) => OciError): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw protocol(`${field} is not a descriptor`);
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType.length > 255) throw protocol(`${field}.mediaType is not a media type`);
  if (typeof d.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d.digest)) throw protocol(`${field}.digest is not a sha256 digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw protocol(`${field}.size is not a size`);
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.annotations !== undefined) {
    if (typeof d.annotations !== 'object' || d.annotations === null || Array.isArray(d.annotations))
      throw protocol(`${field}.annotations is not a map`);
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.annotations)) {
      if (typeof v !== 'string' || v.length > MAX_ANNOTATION_BYTES)
        throw protocol(`${field}.annotations.${k.slice(0, 60)} is not a short string`);
      annotations[k] = v;
    }
    out.annotations = annotations;
  }
  return out;
}
