/**
 * A StatefulSet pod's command line and environment as the kubelet would build them, for running the
 * manifest's exact `caxton serve` as a local process: env from the container's `env` and
 * `envFrom` ConfigMaps, `$(VAR)` expanded in env values and args as Kubernetes does, and Secret
 * volumes projected into local directories with their `items` and `defaultMode` (the kubelet's
 * `..data` symlink layout included). Pure except `projectSecret`, which writes the files.
 */
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type Doc = Record<string, any>;

/**
 * Kubernetes' `$(VAR)` expansion (env values and args): a defined variable is replaced, `$$` is an
 * escaped `$`, and a reference to an undefined variable is left as written.
 */
export function expandVars(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (name === undefined) return '$';
    return vars.get(name) ?? whole;
  });
}

/** What the kubelet knows that a manifest only refers to. */
export interface PodFacts {
  /** `metadata.name`, `metadata.namespace`… for `valueFrom.fieldRef`. */
  fields: Record<string, string>;
  /** ConfigMaps by name (their `data`), for `envFrom.configMapRef`. */
  configMaps: Record<string, Record<string, string>>;
}

/**
 * The container's environment, in the kubelet's order: `envFrom` first, then `env` (which wins),
 * each `env` value expanded against the variables defined before it.
 */
export function containerEnv(container: Doc, pod: PodFacts): Map<string, string> {
  const vars = new Map<string, string>();
  for (const from of (container['envFrom'] as Doc[] | undefined) ?? []) {
    const name = from['configMapRef']?.name as string | undefined;
    if (name === undefined) throw new Error(`envFrom ${JSON.stringify(from)}: only configMapRef is supported here`);
    const data = pod.configMaps[name];
    if (!data) throw new Error(`envFrom names ConfigMap ${name}, which is not in the manifests`);
    for (const [k, v] of Object.entries(data)) vars.set(`${from['prefix'] ?? ''}${k}`, String(v));
  }
  for (const e of (container['env'] as Doc[] | undefined) ?? []) {
    const field = e['valueFrom']?.fieldRef?.fieldPath as string | undefined;
    if (field !== undefined) {
      const value = pod.fields[field];
      if (value === undefined) throw new Error(`env ${e['name']}: no value for fieldRef ${field}`);
      vars.set(e['name'], value);
    } else if (e['value'] !== undefined) {
      vars.set(e['name'], expandVars(String(e['value']), vars));
    } else {
      throw new Error(`env ${e['name']}: only value and valueFrom.fieldRef are supported here`);
    }
  }
  return vars;
}

/** `--name=value` or `--name value`. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}`) return args[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}

/**
 * Args rewritten for a local run: paths under a volume's mountPath moved to the local directory
 * standing for that volume, and container ports (`--x=50051`, `--x=host:50051`) to local ones.
 */
export function localArgs(args: readonly string[], mounts: ReadonlyMap<string, string>, ports: ReadonlyMap<number, number>): string[] {
  // Longest mount path first: /etc/caxton/tls must not be matched as /etc/caxton.
  const byLength = [...mounts].sort((a, b) => b[0].length - a[0].length);
  return args.map((arg) => {
    const m = /^(--[^=]+=)(.*)$/.exec(arg);
    if (!m) return arg;
    let value = m[2]!;
    for (const [mountPath, local] of byLength) {
      const dir = mountPath.replace(/\/$/, '');
      if (value === dir || value.startsWith(`${dir}/`)) {
        value = local + value.slice(dir.length);
        break;
      }
    }
    const port = /^(?:(.*):)?(\d+)$/.exec(value);
    if (port && ports.has(Number(port[2]))) value = `${port[1] !== undefined ? `${port[1]}:` : ''}${ports.get(Number(port[2]))}`;
    return m[1] + value;
  });
}

/**
 * Writes a Secret volume as the kubelet does: each item's decoded key into `..data/<path>` with the
 * volume's `defaultMode` (or the item's `mode`), and `<path>` a symlink to it.
 */
export async function projectSecret(volume: Doc, secret: Doc, dir: string): Promise<void> {
  const data = (secret['data'] ?? {}) as Record<string, string>;
  const mode = Number(volume['secret']?.defaultMode ?? 0o644);
  const items: Doc[] = (volume['secret']?.items as Doc[] | undefined) ?? Object.keys(data).map((key) => ({ key, path: key }));
  await mkdir(path.join(dir, '..data'), { recursive: true });
  for (const item of items) {
    const value = data[item['key']];
    if (value === undefined)
      throw new Error(`Secret ${secret['metadata']?.name} has no key ${item['key']} (volume ${volume['name']} projects it)`);
    const real = path.join(dir, '..data', item['path']);
    await writeFile(real, Buffer.from(value, 'base64'));
    await chmod(real, Number(item['mode'] ?? mode));
    await symlink(path.join('..data', item['path']), path.join(dir, item['path']));
  }
}
