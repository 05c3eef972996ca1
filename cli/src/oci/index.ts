/** OCI registries for components (decision 2172): references, the Wasm artifact layout, credentials, the client. */
export { OciError, ociExitCode, type OciErrorCode } from './errors.js';
export { OCI_SCHEME, isOciReference, parseOciReference, type OciReference } from './reference.js';
export { credentialsFor, type Credentials } from './credentials.js';
export { OciRegistryClient, type Pulled, type Pushed } from './registry-client.js';
export { BlobCache } from './blob-cache.js';
export { openRegistryClient } from './open-client.js';
export { LANGUAGE_ANNOTATION, SIGNATURE_ANNOTATION, TITLE_ANNOTATION, readWasmManifest, wasmArtifact } from './layout.js';
export { parseChallenge } from './challenge.js';
