/**
 * kubernetes-validate (PyPI), which checks manifests against the JSON schemas of a Kubernetes
 * release it bundles (1.25.0 … 1.37.0 in 1.37.0), offline; `--strict` also rejects fields the
 * schema does not define (a typo such as `readinessprobe:` would otherwise pass unnoticed). Kinds
 * it has no schema for (CRDs such as ServiceMonitor, a Kustomization) are only warned about.
 *
 * Installed once into a venv in the cache (tools/kubernetes-validate-1.37.0) with the machine's
 * python3 and pip, the tool and its dependencies pinned: ~12 s, then reused.
 *
 *   const kv = await installKubernetesValidate();
 *   // kv: path of the `kubernetes-validate` command in the venv
 *   // run: kv --strict -k KUBERNETES_SCHEMA_VERSION deploy/k8s/*.yaml
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from './lib/paths.mjs';
import { InfraError } from './lib/errors.mjs';
import { run, which } from './lib/exec.mjs';
import { progress } from './lib/log.mjs';
import { withLock } from './lib/lock.mjs';

export const KUBERNETES_VALIDATE_VERSION = '1.37.0';
/**
 * The Kubernetes version deploy/k8s is validated against: the oldest release the manifests target
 * (gRPC probes, policy/v1 PDBs and everything else they use are GA there). Bundled by the pinned tool.
 */
export const KUBERNETES_SCHEMA_VERSION = '1.33.0';

// `pip freeze` of a fresh venv with kubernetes-validate 1.37.0 (CPython 3.11), so a later release
// of a dependency cannot change what the tests validate with.
const REQUIREMENTS = [
  `kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}`,
  'attrs==26.1.0',
  'importlib_resources==7.1.0',
  'jsonschema==4.26.0',
  'jsonschema-specifications==2025.9.1',
  'packaging==26.3',
  'PyYAML==6.0.3',
  'referencing==0.37.0',
  'rpds-py==2026.9.1',
  'typing_extensions==4.16.0',
];

/** Path of the `kubernetes-validate` command, installing it into a cached venv first if needed. */
export async function installKubernetesValidate() {
  const venv = path.join(cacheDir(), 'tools', `kubernetes-validate-${KUBERNETES_VALIDATE_VERSION}`);
  const bin = path.join(venv, 'bin', 'kubernetes-validate');
  // Written after pip succeeded: a venv left by an interrupted install is rebuilt, not trusted.
  const marker = path.join(venv, 'caxton-requirements.txt');
  const wanted = `${REQUIREMENTS.join('\n')}\n`;
  const ready = async () => existsSync(bin) && (await fs.readFile(marker, 'utf8').catch(() => '')) === wanted;
  if (await ready()) return bin;
  return withLock(path.join(cacheDir(), 'kubernetes-validate-install'), 'installing kubernetes-validate', async () => {
    if (await ready()) return bin;
    const python = await which('python3');
    if (!python) {
      throw new InfraError('infra.kubernetes-validate.no-python', 'kubernetes-validate needs python3, which is not on PATH', {
        hint: 'install Python >= 3.9 with its venv module (Debian: python3 python3-venv), then retry',
      });
    }
    const started = Date.now();
    progress(`installing kubernetes-validate ${KUBERNETES_VALIDATE_VERSION} into a venv (once, ~15 s)…`);
    await fs.rm(venv, { recursive: true, force: true });
    const mk = await run(python, ['-m', 'venv', venv]);
    if (mk.code !== 0) {
      await fs.rm(venv, { recursive: true, force: true });
      throw new InfraError('infra.kubernetes-validate.install-failed', 'python3 -m venv failed', {
        hint: `${mk.output.trim().split('\n').slice(-5).join('\n')}\n(on Debian: apt-get install python3-venv)`,
      });
    }
    const r = await run(path.join(venv, 'bin', 'python'), [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-input',
      ...REQUIREMENTS,
    ]);
    if (r.code !== 0 || !existsSync(bin)) {
      await fs.rm(venv, { recursive: true, force: true });
      throw new InfraError(
        'infra.kubernetes-validate.install-failed',
        `pip install kubernetes-validate==${KUBERNETES_VALIDATE_VERSION} failed`,
        { hint: r.output.trim().split('\n').slice(-10).join('\n') },
      );
    }
    await fs.writeFile(marker, wanted);
    progress(`kubernetes-validate installed in ${((Date.now() - started) / 1000).toFixed(1)} s (${bin})`);
    return bin;
  });
}
