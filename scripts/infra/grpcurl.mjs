/**
 * grpcurl, the tool operators use to poke a gRPC server through reflection, for the tests that
 * prove Caxton's reflection descriptors are valid. Built once with `go install` from the Go module
 * proxy (pinned version) into the cache (~2 min on 2 cores), then reused.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from './lib/paths.mjs';
import { InfraError } from './lib/errors.mjs';
import { run, which } from './lib/exec.mjs';
import { progress } from './lib/log.mjs';
import { withLock } from './lib/lock.mjs';

export const GRPCURL_VERSION = 'v1.9.3';

/** Path of a grpcurl binary, installing it first if needed. */
export async function installGrpcurl() {
  const binDir = path.join(cacheDir(), 'tools', `grpcurl-${GRPCURL_VERSION}`);
  const bin = path.join(binDir, 'grpcurl');
  if (existsSync(bin)) return bin;
  return withLock(path.join(cacheDir(), 'grpcurl-install'), 'installing grpcurl', async () => {
    if (existsSync(bin)) return bin;
    const go = await which('go');
    if (!go) {
      throw new InfraError('infra.grpcurl.no-go', 'grpcurl is built with Go, which is not on PATH', {
        hint: 'install Go ≥ 1.21 (it is on this kind of machine: /usr/local/go/bin), then retry',
      });
    }
    const started = Date.now();
    progress(`building grpcurl ${GRPCURL_VERSION} with go install (once, ~2 min)…`);
    const r = await run(go, ['install', `github.com/fullstorydev/grpcurl/cmd/grpcurl@${GRPCURL_VERSION}`], {
      env: { GOBIN: binDir, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
    });
    if (r.code !== 0 || !existsSync(bin)) {
      throw new InfraError('infra.grpcurl.install-failed', `go install grpcurl@${GRPCURL_VERSION} failed`, {
        hint: r.output.split('\n').slice(-10).join('\n'),
      });
    }
    progress(`grpcurl installed in ${((Date.now() - started) / 1000).toFixed(0)} s (${bin})`);
    return bin;
  });
}
