/**
 * The SSRF address classifier (runtime/src/http/address-guard.ts, decision 1710): every range,
 * the IANA special-purpose registries entry by entry, IPv6 forms hiding an IPv4 address, and
 * names resolving into each special-purpose range refused by resolveChecked with a typed error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyAddress, decideAddress, judgeAddress } from '../../src/http/address-guard.js';
import { HttpCallFailure } from '../../src/http/call-failure.js';
import { resolveChecked } from '../../src/http/checked-resolve.js';

const cases: [string, string][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.15.255.255', 'public'],
  ['172.32.0.0', 'public'],
  ['192.168.1.1', 'private'],
  ['192.169.0.1', 'public'],
  ['fc00::1', 'private'],
  ['fd12:3456::1', 'private'],
  ['fec0::1', 'private'],
  ['feff::1', 'private'],
  ['169.254.1.1', 'link-local'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf::1', 'link-local'],
  ['169.254.169.254', 'metadata'],
  ['fd00:ec2::254', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['169.254.170.2', 'metadata'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.255', 'multicast'],
  ['ff02::1', 'multicast'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['100.128.0.0', 'public'],
  ['100.63.255.255', 'public'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'reserved'],
  // The blocks the hand-written table let through (issue 26).
  ['198.18.0.1', 'special-purpose'],
  ['198.19.255.255', 'special-purpose'],
  ['198.20.0.0', 'public'],
  ['192.0.0.1', 'special-purpose'],
  ['192.0.0.170', 'special-purpose'],
  ['192.0.1.0', 'public'],
  ['2001::1', 'special-purpose'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'special-purpose'],
  ['64:ff9b:1::7f00:1', 'special-purpose'],
  ['64:ff9b:1:abcd::1', 'special-purpose'],
  ['192.0.2.1', 'special-purpose'],
  ['2001:db8::1', 'special-purpose'],
  ['3fff::1', 'special-purpose'],
  ['100::1', 'special-purpose'],
  ['8.8.8.8', 'public'],
  ['93.184.216.34', 'public'],
  ['2606:4700::1111', 'public'],
  ['2a00:1450:4001::200e', 'public'],
  // IPv6 forms carrying an IPv4 address are judged by it.
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['::ffff:8.8.8.8', 'public'],
  ['::ffff:198.18.0.1', 'special-purpose'],
  ['::ffff:0:127.0.0.1', 'loopback'],
  ['::ffff:0:8.8.8.8', 'public'],
  ['::ffff:0:a00:1', 'private'],
  ['::127.0.0.1', 'loopback'],
  ['::10.0.0.1', 'private'],
  ['::8.8.8.8', 'public'],
  ['64:ff9b::a00:1', 'private'],
  ['64:ff9b::127.0.0.1', 'loopback'],
  ['64:ff9b::8.8.8.8', 'public'],
  ['64:ff9b::169.254.169.254', 'metadata'],
  ['2002:7f00:1::', 'loopback'],
  ['2002:a9fe:a9fe::1', 'metadata'],
  ['2002:0808:0808::1', 'public'],
  ['not-an-ip', 'invalid'],
  ['1.2.3', 'invalid'],
  ['1:2:3:4:5:6:7:8:9', 'invalid'],
  // Legacy IPv4 spellings are not literals here (inet_aton would read them as 127.0.0.1).
  ['0x7f.1', 'invalid'],
  ['127.1', 'invalid'],
  ['0177.0.0.1', 'invalid'],
  ['2130706433', 'invalid'],
];

for (const [address, cls] of cases) {
  test(`${address} is ${cls}`, () => {
    assert.equal(classifyAddress(address), cls, judgeAddress(address).range);
  });
}

/**
 * The IANA IPv4 and IPv6 Special-Purpose Address Registries (as of 2025), one address from each
 * block: none may be public. `globallyReachable` blocks (AS112, AMT, ORCHIDv2, TURN/PCP anycast)
 * are refused too: no service an agent calls lives there.
 */
const IANA_REGISTRY: [string, string, string][] = [
  ['0.0.0.0/8', '0.0.0.1', 'RFC 791'],
  ['10.0.0.0/8', '10.1.1.1', 'RFC 1918'],
  ['100.64.0.0/10', '100.64.0.1', 'RFC 6598'],
  ['127.0.0.0/8', '127.0.0.2', 'RFC 1122'],
  ['169.254.0.0/16', '169.254.0.1', 'RFC 3927'],
  ['172.16.0.0/12', '172.16.0.1', 'RFC 1918'],
  ['192.0.0.0/24', '192.0.0.200', 'RFC 6890'],
  ['192.0.0.0/29', '192.0.0.1', 'RFC 7335'],
  ['192.0.0.8/32', '192.0.0.8', 'RFC 7600'],
  ['192.0.0.9/32', '192.0.0.9', 'RFC 7723'],
  ['192.0.0.10/32', '192.0.0.10', 'RFC 8155'],
  ['192.0.0.170/32', '192.0.0.171', 'RFC 8880'],
  ['192.0.2.0/24', '192.0.2.1', 'RFC 5737'],
  ['192.31.196.0/24', '192.31.196.1', 'RFC 7535'],
  ['192.52.193.0/24', '192.52.193.1', 'RFC 7450'],
  ['192.88.99.0/24', '192.88.99.1', 'RFC 7526'],
  ['192.168.0.0/16', '192.168.0.1', 'RFC 1918'],
  ['192.175.48.0/24', '192.175.48.1', 'RFC 7534'],
  ['198.18.0.0/15', '198.19.0.1', 'RFC 2544'],
  ['198.51.100.0/24', '198.51.100.1', 'RFC 5737'],
  ['203.0.113.0/24', '203.0.113.1', 'RFC 5737'],
  ['240.0.0.0/4', '250.0.0.1', 'RFC 1112'],
  ['255.255.255.255/32', '255.255.255.255', 'RFC 919'],
  ['::1/128', '::1', 'RFC 4291'],
  ['::/128', '::', 'RFC 4291'],
  ['::ffff:0:0/96', '::ffff:10.0.0.1', 'RFC 4291'],
  ['64:ff9b::/96', '64:ff9b::10.0.0.1', 'RFC 6052'],
  ['64:ff9b:1::/48', '64:ff9b:1::1', 'RFC 8215'],
  ['100::/64', '100::1', 'RFC 6666'],
  ['100:0:0:1::/64', '100:0:0:1::1', 'RFC 9780'],
  ['2001::/23', '2001:1::1', 'RFC 2928'],
  ['2001::/32', '2001::1', 'RFC 4380'],
  ['2001:1::1/128', '2001:1::1', 'RFC 7723'],
  ['2001:1::2/128', '2001:1::2', 'RFC 8155'],
  ['2001:1::3/128', '2001:1::3', 'RFC 9665'],
  ['2001:2::/48', '2001:2::1', 'RFC 5180'],
  ['2001:3::/32', '2001:3::1', 'RFC 7450'],
  ['2001:4:112::/48', '2001:4:112::1', 'RFC 7535'],
  ['2001:10::/28', '2001:10::1', 'RFC 4843'],
  ['2001:20::/28', '2001:20::1', 'RFC 7343'],
  ['2001:30::/28', '2001:30::1', 'RFC 9374'],
  ['2001:db8::/32', '2001:db8::1', 'RFC 3849'],
  ['2002::/16', '2002:a00:1::1', 'RFC 3056'],
  ['2620:4f:8000::/48', '2620:4f:8000::1', 'RFC 7534'],
  ['3fff::/20', '3fff::1', 'RFC 9637'],
  ['5f00::/16', '5f00::1', 'RFC 9602'],
  ['fc00::/7', 'fc00::1', 'RFC 4193'],
  ['fe80::/10', 'fe80::1', 'RFC 4291'],
];

for (const [block, sample, rfc] of IANA_REGISTRY) {
  test(`IANA special-purpose ${block} (${rfc}): ${sample} is not public`, () => {
    const v = judgeAddress(sample);
    assert.notEqual(v.cls, 'public', `${sample}: ${v.range}`);
    assert.notEqual(v.cls, 'invalid', `${sample}: ${v.range}`);
  });
}

test('public addresses are allowed; private ones only with allowPrivate; the rest never', () => {
  assert.equal(decideAddress('8.8.8.8', false).allowed, true);
  for (const a of [
    '127.0.0.1',
    '10.0.0.1',
    '169.254.3.4',
    '100.64.1.1',
    '::1',
    'fd00::1',
    'fec0::1',
    '::ffff:127.0.0.1',
    '64:ff9b::7f00:1',
  ]) {
    const d = decideAddress(a, false);
    assert.equal(d.allowed, false, a);
    assert.ok(!d.allowed && /allowPrivate/.test(d.reason), a);
    assert.equal(decideAddress(a, true).allowed, true, a);
  }
  for (const a of [
    '169.254.169.254',
    '::ffff:169.254.169.254',
    '100.100.100.200',
    '0.0.0.0',
    '::',
    '224.0.0.1',
    '255.255.255.255',
    '198.18.0.1',
    '192.0.0.8',
    '2001::1',
    '64:ff9b:1::a00:1',
    'nonsense',
  ]) {
    assert.equal(decideAddress(a, true).allowed, false, a);
  }
});

test('a refusal names the block and, for an embedded IPv4 address, the address judged', () => {
  const d = decideAddress('::ffff:0:7f00:1', false);
  assert.ok(!d.allowed);
  assert.match(d.reason, /IPv4-translated.*RFC 6145.*127\.0\.0\.1/);
  const t = decideAddress('2001:0:4136:e378:8000:63bf:3fff:fdd2', true);
  assert.ok(!t.allowed && /Teredo.*RFC 4380/.test(t.reason));
});

/** One address in each block the old table passed as public, reached by a name. */
const SPECIAL_BY_NAME: [string, string][] = [
  ['mapped.test', '::ffff:127.0.0.1'],
  ['translated.test', '::ffff:0:7f00:1'],
  ['nat64-local.test', '64:ff9b:1::a00:1'],
  ['site-local.test', 'fec0::1'],
  ['teredo.test', '2001:0:4136:e378:8000:63bf:3fff:fdd2'],
  ['benchmark.test', '198.18.0.1'],
  ['ietf.test', '192.0.0.9'],
  ['sixtofour.test', '2002:7f00:1::1'],
  ['compat.test', '::10.0.0.1'],
  ['metadata.test', '169.254.169.254'],
];

for (const [name, address] of SPECIAL_BY_NAME) {
  test(`a name resolving to ${address} is refused before connecting (typed error with a hint)`, async () => {
    const family = address.includes(':') ? 6 : 4;
    await assert.rejects(
      resolveChecked(name, false, async () => [{ address, family }]),
      (err: unknown) => {
        assert.ok(err instanceof HttpCallFailure);
        assert.equal(err.failure, 'address-denied');
        assert.equal(err.code, 'http.address-denied');
        assert.ok((err.hint ?? '').length > 0);
        assert.match(err.message, new RegExp(name.replace('.', '\\.')));
        return true;
      },
    );
  });
}

test('a public name next to a special-purpose one is refused (every address is checked)', async () => {
  await assert.rejects(
    resolveChecked('mixed.test', false, async () => [
      { address: '8.8.8.8', family: 4 },
      { address: '198.18.0.1', family: 4 },
    ]),
    /198\.18\.0\.1/,
  );
  const ok = await resolveChecked('public.test', false, async () => [{ address: '2606:4700::1111', family: 6 }]);
  assert.deepEqual(ok, { address: '2606:4700::1111', family: 6 });
});
