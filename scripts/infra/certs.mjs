/**
 * A throw-away PKI for tests of encrypted, authenticated cluster traffic: one CA, a server
 * certificate for 127.0.0.1/localhost (what Kafka's SSL listener and etcd's client port present) and
 * client certificates (what a node presents when the servers require them). Made with the openssl
 * CLI, RSA 2048 and PKCS#8 keys (Kafka's PEM key store reads only PKCS#8), valid for two days.
 *
 *   const pki = await makeTestPki(dir);           // { caFile, server: { certFile, keyFile, pemFile }, client: {...} }
 *   const other = await makeTestPki(dir2);        // a second, unrelated CA: "wrong CA" tests
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { run } from './lib/exec.mjs';
import { InfraError } from './lib/errors.mjs';

async function openssl(args, cwd) {
  const r = await run('openssl', args, { cwd }).catch((e) => ({ code: -1, output: e.message }));
  if (r.code !== 0) {
    throw new InfraError('infra.certs.openssl-failed', `openssl ${args[0]} failed`, {
      context: { args: args.join(' ') },
      hint: r.output.split('\n').slice(-8).join('\n') || 'is openssl installed? (Debian: apt-get install openssl)',
    });
  }
}

/** Key + certificate signed by the CA in `dir`, with the given subject alternative names. */
async function issue(dir, name, cn, extensions) {
  const key = `${name}.key`;
  const csr = `${name}.csr`;
  const crt = `${name}.crt`;
  const ext = `${name}.ext`;
  await fs.writeFile(path.join(dir, ext), extensions);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`], dir);
  await openssl(
    ['x509', '-req', '-in', csr, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', crt, '-days', '2', '-extfile', ext],
    dir,
  );
  // Kafka's PEM key store: the private key and its certificate chain in one file.
  const pem = `${name}.pem`;
  const [k, c] = await Promise.all([fs.readFile(path.join(dir, key), 'utf8'), fs.readFile(path.join(dir, crt), 'utf8')]);
  await fs.writeFile(path.join(dir, pem), `${k}${c}`, { mode: 0o600 });
  await fs.chmod(path.join(dir, key), 0o600);
  return { certFile: path.join(dir, crt), keyFile: path.join(dir, key), pemFile: path.join(dir, pem) };
}

/**
 * @param {string} dir created if missing; holds every file
 * @param {{ clients?: string[] }} [opts] client certificate common names (default ['caxton-node'])
 */
export async function makeTestPki(dir, opts = {}) {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      `/CN=caxton-test-ca-${path.basename(dir)}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const server = await issue(
    dir,
    'server',
    '127.0.0.1',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
  );
  const clients = {};
  for (const cn of opts.clients ?? ['caxton-node']) {
    clients[cn] = await issue(dir, `client-${cn}`, cn, 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n');
  }
  const first = clients[(opts.clients ?? ['caxton-node'])[0]];
  return { dir, caFile: path.join(dir, 'ca.crt'), server, client: first, clients };
}
