/**
 * The one loopback predicate (core/src/net/loopback-host.ts, issue 26): a table of hosts an
 * operator (or an attacker choosing a DNS name) might write, and what each is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost } from '../../src/index.js';

const table: [string, boolean, string][] = [
  ['127.0.0.1', true, 'the loopback address'],
  ['127.1.2.3', true, 'anywhere in 127/8'],
  ['127.255.255.255', true, 'the top of 127/8'],
  ['::1', true, 'IPv6 loopback'],
  ['[::1]', true, 'IPv6 loopback in brackets, as in host:port'],
  ['0:0:0:0:0:0:0:1', true, 'IPv6 loopback written out'],
  ['0000::0001', true, 'IPv6 loopback with leading zeros'],
  ['localhost', true, 'the name itself'],
  ['LOCALHOST', true, 'names are case-insensitive'],
  ['::ffff:127.0.0.1', true, 'IPv4 loopback mapped into IPv6'],
  ['::ffff:7f00:1', true, 'the same in hex'],
  ['[::ffff:127.0.0.1]', true, 'mapped, in brackets'],
  ['127.example.com', false, 'a DNS name that starts like an address (serve used startsWith)'],
  ['127.0.0.1.nip.io', false, 'a DNS name ending like a public resolver trick'],
  ['localhost.evil.com', false, 'a DNS name that starts with localhost'],
  ['localhost.', false, 'not exactly localhost'],
  ['0x7f.1', false, 'legacy spelling inet_aton accepts: treated as non-loopback (the safe side)'],
  ['127.1', false, 'legacy short form'],
  ['0177.0.0.1', false, 'octal'],
  ['2130706433', false, 'a 32-bit integer'],
  ['127.0.0.256', false, 'an octet out of range'],
  ['0.0.0.0', false, 'every interface'],
  ['::', false, 'every interface (IPv6)'],
  ['10.0.0.1', false, 'private, not loopback'],
  ['::ffff:10.0.0.1', false, 'mapped private address'],
  ['::127.0.0.1', false, 'IPv4-compatible: deprecated, not a loopback spelling'],
  ['::2', false, 'not ::1'],
  ['::1%lo', false, 'a zone id'],
  ['[::1', false, 'an unbalanced bracket'],
  ['1::1::1', false, 'two ::'],
  ['', false, 'empty'],
  ['unix', false, "a unix socket is the CLI's own case, not a host"],
];

for (const [host, expected, why] of table) {
  test(`${JSON.stringify(host)} → ${expected} (${why})`, () => {
    assert.equal(isLoopbackHost(host), expected);
  });
}
