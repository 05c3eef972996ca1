/**
 * Recognising what kind of agent project a directory holds. Explicit beats implicit: the caller's
 * language (`caxton build --lang`), then `"caxton": {"language": …}` in package.json or a
 * `caxton.json` manifest; otherwise the project's own files say it — asconfig.json or
 * assembly/index.ts (AssemblyScript), Cargo.toml (Rust), go.mod (Go), pyproject.toml or app.py
 * (Python), package.json (JavaScript). C has no project file of its own, so a C agent says so in
 * `caxton.json`: {"language": "c", "sources": ["src/agent.c"]}.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { BuildError, UnknownProjectLayoutError } from './errors.js';

export type AgentLanguage = 'assemblyscript' | 'javascript' | 'rust' | 'c' | 'go' | 'python';
export const AGENT_LANGUAGES: readonly AgentLanguage[] = ['assemblyscript', 'javascript', 'rust', 'c', 'go', 'python'];

/** The file that marks a project of each language that has one (checked in this order). */
const MARKER_FILES: ReadonlyArray<[AgentLanguage, string[]]> = [
  ['rust', ['Cargo.toml']],
  ['go', ['go.mod']],
  ['python', ['pyproject.toml', 'app.py']],
];

/** The `"caxton"` section an agent's package.json may carry. */
export interface CaxtonManifest {
  language?: AgentLanguage;
  /** Entry file, relative to the project (AssemblyScript: defaults to asconfig entries or assembly/index.ts). */
  entry?: string;
  /** Artifact base name (defaults to the package name without scope, else the directory name). */
  name?: string;
  /** AssemblyScript runtime variant (default incremental); see docs/decisions/0501. */
  runtime?: 'minimal' | 'incremental';
  /**
   * Build the agent with WASI (preview1 adapter for AssemblyScript, the QuickJS WASI imports for
   * JavaScript). The runtime denies WASI by default; this exists for test agents that probe it.
   */
  wasi?: boolean;
  /**
   * A WIT file or directory (relative to the project) to build against instead of wit/agent.wit,
   * with `world` naming the world in it. Only for test agents that extend the agent world (e.g.
   * with WASI imports); the runtime accepts nothing beyond caxton:agent.
   */
  wit?: string;
  world?: string;
  /** Source files to compile (C; relative to the project). Default: every .c file under src/. */
  sources?: string[];
}

export interface AgentProject {
  dir: string;
  language: AgentLanguage;
  /** Artifact base name: `<dir>/build/<name>.wasm`. */
  name: string;
  /** Entry files relative to `dir` (AssemblyScript may have several; JavaScript has one). */
  entries: string[];
  /** asconfig.json path when present (AssemblyScript). */
  asconfig?: string;
  manifest: CaxtonManifest;
}

interface PackageJson {
  name?: string;
  main?: string;
  module?: string;
  caxton?: CaxtonManifest;
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (cause) {
    throw new BuildError('build.bad-manifest', `${file} is not valid JSON`, {
      context: { file },
      hint: 'fix the JSON syntax',
      cause,
    });
  }
}

function artifactName(pkg: PackageJson | undefined, dir: string, manifest: CaxtonManifest): string {
  const raw = manifest.name ?? pkg?.name?.replace(/^@[^/]+\//, '') ?? path.basename(dir);
  return raw.replace(/[^A-Za-z0-9._-]/g, '-');
}

const JS_ENTRY_CANDIDATES = ['src/agent.js', 'src/index.js', 'agent.js', 'index.js'];

export function detectProject(dirArg: string, language?: AgentLanguage): AgentProject {
  const dir = path.resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new BuildError('build.not-a-directory', `${dir} is not a directory`, {
      context: { dir },
      hint: 'pass the directory that contains the agent project (its package.json or asconfig.json)',
    });
  }
  const pkgPath = path.join(dir, 'package.json');
  const pkg = existsSync(pkgPath) ? readJson<PackageJson>(pkgPath) : undefined;
  const caxtonJsonPath = path.join(dir, 'caxton.json');
  const caxtonJson = existsSync(caxtonJsonPath) ? readJson<CaxtonManifest>(caxtonJsonPath) : undefined;
  const manifest: CaxtonManifest = { ...(pkg?.caxton ?? {}), ...(caxtonJson ?? {}), ...(language ? { language } : {}) };
  const name = artifactName(pkg, dir, manifest);

  if (manifest.language !== undefined && !AGENT_LANGUAGES.includes(manifest.language)) {
    const where = language ? '--lang' : caxtonJson?.language !== undefined ? 'caxton.json "language"' : 'package.json "caxton.language"';
    throw new UnknownProjectLayoutError(dir, `${where} is "${String(manifest.language)}", not one of ${AGENT_LANGUAGES.join(', ')}`);
  }
  const native = detectNative(dir, name, manifest);
  if (native) return native;

  const asconfig = path.join(dir, 'asconfig.json');
  const hasAsconfig = existsSync(asconfig);
  const asIndex = path.join(dir, 'assembly', 'index.ts');
  const looksAs = hasAsconfig || existsSync(asIndex);

  if (manifest.language === 'assemblyscript' || (manifest.language === undefined && looksAs)) {
    let entries: string[] = [];
    if (manifest.entry) entries = [manifest.entry];
    else if (hasAsconfig) entries = readJson<{ entries?: string[] }>(asconfig).entries ?? [];
    if (entries.length === 0 && existsSync(asIndex)) entries = ['assembly/index.ts'];
    if (entries.length === 0) {
      throw new UnknownProjectLayoutError(
        dir,
        'an AssemblyScript project needs an entry: asconfig.json "entries", "caxton.entry" or assembly/index.ts',
      );
    }
    for (const e of entries) requireFile(dir, e);
    return { dir, language: 'assemblyscript', name, entries, ...(hasAsconfig ? { asconfig } : {}), manifest };
  }

  if (manifest.language === 'javascript' || (manifest.language === undefined && pkg !== undefined)) {
    const declared = manifest.entry ?? pkg?.main ?? pkg?.module;
    const entry = declared ?? JS_ENTRY_CANDIDATES.find((c) => existsSync(path.join(dir, c)));
    if (entry === undefined) {
      throw new UnknownProjectLayoutError(
        dir,
        `package.json names no JavaScript entry and none of ${JS_ENTRY_CANDIDATES.join(', ')} exists`,
      );
    }
    requireFile(dir, entry);
    return { dir, language: 'javascript', name, entries: [entry], manifest };
  }

  throw new UnknownProjectLayoutError(
    dir,
    'found no project file: package.json, asconfig.json, assembly/index.ts, Cargo.toml, go.mod, pyproject.toml, app.py or caxton.json',
  );
}

/** Rust, C, Go and Python projects: explicit language first, then the language's marker file. */
function detectNative(dir: string, name: string, manifest: CaxtonManifest): AgentProject | undefined {
  const explicit = manifest.language;
  let language: AgentLanguage | undefined;
  if (explicit === 'rust' || explicit === 'c' || explicit === 'go' || explicit === 'python') language = explicit;
  else if (explicit === undefined && !existsSync(path.join(dir, 'asconfig.json')) && !existsSync(path.join(dir, 'assembly', 'index.ts'))) {
    language = MARKER_FILES.find(([, files]) => files.some((f) => existsSync(path.join(dir, f))))?.[0];
  }
  if (language === undefined) return undefined;
  const entries = nativeEntries(dir, language, manifest);
  return { dir, language, name, entries, manifest };
}

function nativeEntries(dir: string, language: AgentLanguage, manifest: CaxtonManifest): string[] {
  switch (language) {
    case 'rust':
      requireFile(dir, 'Cargo.toml');
      return [manifest.entry ?? 'src/lib.rs'].map((e) => (requireFile(dir, e), e));
    case 'go':
      requireFile(dir, 'go.mod');
      return [manifest.entry ?? '.'];
    case 'python': {
      const entry = manifest.entry ?? 'app.py';
      requireFile(dir, entry);
      return [entry];
    }
    case 'c': {
      const sources = manifest.sources ?? listCSources(dir);
      if (sources.length === 0) {
        throw new UnknownProjectLayoutError(dir, 'a C agent needs sources: list them in caxton.json "sources", or put .c files under src/');
      }
      for (const src of sources) requireFile(dir, src);
      return sources;
    }
    default:
      return [];
  }
}

function listCSources(dir: string): string[] {
  const src = path.join(dir, 'src');
  if (!existsSync(src)) return [];
  return readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => path.join('src', f));
}

function requireFile(dir: string, rel: string): void {
  if (!existsSync(path.join(dir, rel))) {
    throw new UnknownProjectLayoutError(dir, `the entry file ${rel} does not exist`);
  }
}
