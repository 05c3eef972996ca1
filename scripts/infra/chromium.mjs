/**
 * Headless Chromium from Debian's `chromium` package, for the console's browser tests (driven by
 * puppeteer-core, which never downloads a browser). Obtained the way prometheus.mjs obtains
 * Prometheus: without installing anything. `apt-get install -s --no-install-recommends chromium`
 * (a simulation: no root, nothing changed) names the packages this machine lacks — on a Debian 12
 * server with the usual X/NSS libraries that is chromium, chromium-common and ~23 small libraries
 * (gtk3, pulse, opus, openh264…, ~120 MB of .debs, <1 s from the mirror); `apt-get download` fetches
 * exactly those and `dpkg-deb -x` unpacks them all into one directory in the cache
 * (tools/chromium-<debian version>). The browser then runs with LD_LIBRARY_PATH pointing at the
 * unpacked libraries. Why not `apt-get install chromium`: it needs root, changes the system (and
 * dpkg's state, which other work on the machine shares), and cannot be undone by deleting the
 * cache; this way a test run never needs root once the package lists are current.
 *
 *   const chromium = await installChromium();
 *   // { version, executablePath, env: { LD_LIBRARY_PATH }, root }
 *   puppeteer.launch({ executablePath: chromium.executablePath, env: { ...process.env, ...chromium.env }, … })
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cacheDir } from './lib/paths.mjs';
import { InfraError } from './lib/errors.mjs';
import { run, which } from './lib/exec.mjs';
import { progress } from './lib/log.mjs';
import { withAptLock, withLock } from './lib/lock.mjs';

const tail = (text, n = 10) => text.split('\n').filter(Boolean).slice(-n).join('\n');

/** Where an unpacked tree keeps the browser and the libraries it loads. */
function layout(root) {
  const libDir = path.join(root, 'usr', 'lib', 'x86_64-linux-gnu');
  return {
    root,
    // /usr/bin/chromium is a shell wrapper reading /etc/chromium.d; the real binary is here.
    executablePath: path.join(root, 'usr', 'lib', 'chromium', 'chromium'),
    // libpulse keeps its private libpulsecommon in a subdirectory.
    env: { LD_LIBRARY_PATH: [libDir, path.join(libDir, 'pulseaudio'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
  };
}

/** The packages `apt-get install chromium` would install here (names only), from a simulation. */
async function missingPackages(env) {
  const r = await run('apt-get', ['install', '-s', '--no-install-recommends', 'chromium'], { env });
  if (r.code !== 0) return { ok: false, output: r.output, packages: [] };
  // Simulation lines look like: "Inst libopus0 (1.3.1-3 Debian:12.11/stable [amd64])"
  const packages = r.output
    .split('\n')
    .filter((l) => l.startsWith('Inst '))
    .map((l) => l.split(' ')[1]);
  return { ok: true, output: r.output, packages };
}

/**
 * Unpack Debian's chromium (and the libraries this machine lacks) into the cache, once. Returns
 * `{ version, executablePath, env, root }`; pass `env` to the browser's process.
 */
export async function installChromium() {
  const own = process.env.CAXTON_CHROMIUM;
  if (own) {
    if (!existsSync(own))
      throw new InfraError('infra.chromium.not-found', `CAXTON_CHROMIUM names no file: ${own}`, {
        hint: "unset it to use Debian's chromium from the cache",
      });
    return { version: 'CAXTON_CHROMIUM', root: path.dirname(own), executablePath: own, env: {} };
  }
  const tools = path.join(cacheDir(), 'tools');
  const marker = path.join(tools, 'chromium.version');
  const installed = async () => {
    const version = (await fs.readFile(marker, 'utf8').catch(() => '')).trim();
    if (!version) return null;
    const l = layout(path.join(tools, `chromium-${version}`));
    return existsSync(l.executablePath) ? { version, ...l } : null;
  };
  const found = await installed();
  if (found) return found;
  return withLock(path.join(cacheDir(), 'chromium-install'), 'unpacking Debian chromium', async () => {
    const again = await installed();
    if (again) return again;
    for (const tool of ['apt-get', 'dpkg-deb']) {
      if (!(await which(tool))) {
        throw new InfraError('infra.chromium.no-apt', `${tool} is not on PATH: the test browser comes from Debian's archive`, {
          hint: 'run on Debian or Ubuntu (the chromium package), or set CAXTON_CHROMIUM to a Chromium binary',
        });
      }
    }
    const started = Date.now();
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    let plan = await missingPackages(env);
    if ((!plan.ok || !plan.packages.includes('chromium')) && process.getuid?.() === 0) {
      progress('apt does not know chromium; running apt-get update (package lists missing or stale)…');
      await withAptLock(() => run('apt-get', ['update'], { env }));
      plan = await missingPackages(env);
    }
    if (!plan.ok) {
      throw new InfraError('infra.chromium.resolve-failed', 'apt-get could not resolve the chromium package', {
        hint: `${tail(plan.output)}\n(the package lists may be missing or stale: run \`sudo apt-get update\`, then retry)`,
      });
    }
    if (!plan.packages.includes('chromium')) {
      // Already installed system-wide: use it rather than a second copy.
      const system = '/usr/lib/chromium/chromium';
      if (existsSync(system)) return { version: 'system', root: '/', executablePath: system, env: {} };
      throw new InfraError('infra.chromium.resolve-failed', 'apt plans no chromium install, yet no chromium binary was found', {
        hint: tail(plan.output),
      });
    }
    progress(`downloading Debian's chromium and ${plan.packages.length - 1} libraries it needs (once, ~120 MB)…`);
    await fs.mkdir(tools, { recursive: true });
    const work = await fs.mkdtemp(path.join(tools, 'chromium-download-'));
    try {
      // As root, apt drops to the _apt user to download and warns that it cannot write here; let it stay root.
      const sandbox = process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : [];
      const d = await run('apt-get', [...sandbox, 'download', ...plan.packages], { cwd: work, env });
      const debs = (await fs.readdir(work)).filter((f) => f.endsWith('.deb'));
      if (d.code !== 0 || debs.length !== plan.packages.length) {
        throw new InfraError('infra.chromium.download-failed', 'apt-get download of chromium and its libraries failed', {
          context: { wanted: plan.packages.length, got: debs.length },
          hint: tail(d.output),
        });
      }
      const unpacked = path.join(work, 'root');
      for (const deb of debs) {
        const x = await run('dpkg-deb', ['-x', path.join(work, deb), unpacked]);
        if (x.code !== 0) throw new InfraError('infra.chromium.unpack-failed', `dpkg-deb -x ${deb} failed`, { hint: tail(x.output) });
      }
      const chromiumDeb = debs.find((f) => f.startsWith('chromium_'));
      // chromium_156.0.8078.79-1~deb12u1_amd64.deb: the version's ':' (epoch) is written %3a.
      const version = decodeURIComponent(chromiumDeb.split('_')[1]);
      const l = layout(unpacked);
      const v = await run(l.executablePath, ['--version'], { env: l.env });
      if (v.code !== 0 || !/Chromium/.test(v.output)) {
        throw new InfraError('infra.chromium.unpack-failed', 'the unpacked chromium does not run (a library missing?)', {
          hint: tail(v.output),
        });
      }
      const dest = path.join(tools, `chromium-${version}`);
      await fs.rm(dest, { recursive: true, force: true });
      await fs.rename(unpacked, dest);
      await fs.writeFile(marker, `${version}\n`); // last: its presence means "installed"
      progress(`chromium ${version} unpacked in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return { version, ...layout(dest) };
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  });
}

/** Flags for a quiet, reproducible headless browser that calls nobody (see test/console). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
