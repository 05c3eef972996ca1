/** The SSRF address classifier (runtime/src/http/address-guard.ts): every range, and IPv6 forms hiding an IPv4 address. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyAddress, decideAddress, parseV6 } from '../../src/http/address-guard.js';

const cases: [string, string][] = [
  ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'], ['::1', 'loopback'],
  ['10.0.0.1', 'private'], ['10.255.255.255', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'],
  ['172.15.255.255', 'public'], ['172.32.0.0', 'public'], ['192.168.1.1', 'private'], ['192.169.0.1', 'public'],
  ['fc00::1', 'private'], ['fd12:3456::1', 'private'],
  ['169.254.1.1', 'link-local'], ['fe80::1', 'link-local'], ['fe80::1%eth0', 'link-local'], ['febf::1', 'link-local'],
  ['169.254.169.254', 'metadata'], ['fd00:ec2::254', 'metadata'],
  ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'], ['::', 'unspecified'],
  ['224.0.0.1', 'multicast'], ['239.255.255.255', 'multicast'], ['ff02::1', 'multicast'],
  ['100.64.0.1', 'cgnat'], ['100.127.255.255', 'cgnat'], ['100.128.0.0', 'public'], ['100.63.255.255', 'public'],
  ['240.0.0.1', 'reserved'], ['255.255.255.255', 'reserved'],
  ['8.8.8.8', 'public'], ['93.184.216.34', 'public'], ['2606:4700::1111', 'public'],
  // IPv6 forms carrying an IPv4 address are judged by it.
  ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:10.1.2.3', 'private'], ['::ffff:169.254.169.254', 'metadata'],
  ['::ffff:8.8.8.8', 'public'], ['::127.0.0.1', 'loopback'], ['64:ff9b::a00:1', 'private'], ['64:ff9b::8.8.8.8', 'public'],
  ['2002:7f00:1::', 'loopback'], ['2002:0808:0808::1', 'public'],
  ['not-an-ip', 'invalid'], ['1.2.3', 'invalid'], ['1:2:3:4:5:6:7:8:9', 'invalid'],
];

for (const [address, cls] of cases) {
  test(`${address} is ${cls}`, () => {
    assert.equal(classifyAddress(address), cls);
  });
}

test('parseV6 expands :: and dotted tails', () => {
  assert.deepEqual(parseV6('::ffff:1.2.3.4'), [0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
  assert.deepEqual(parseV6('2001:db8::1'), [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
  assert.equal(parseV6('1::2::3'), undefined);
});

test('public addresses are allowed; private ones only with allowPrivate; metadata, multicast, unspecified never', () => {
  assert.equal(decideAddress('8.8.8.8', false).allowed, true);
  for (const a of ['127.0.0.1', '10.0.0.1', '169.254.3.4', '100.64.1.1', '::1', 'fd00::1', '::ffff:127.0.0.1']) {
    const d = decideAddress(a, false);
    assert.equal(d.allowed, false, a);
    assert.ok(!d.allowed && /allowPrivate/.test(d.reason), a);
    assert.equal(decideAddress(a, true).allowed, true, a);
  }
  for (const a of ['169.254.169.254', '0.0.0.0', '::', '224.0.0.1', '255.255.255.255', 'nonsense']) {
    assert.equal(decideAddress(a, true).allowed, false, a);
  }
});
