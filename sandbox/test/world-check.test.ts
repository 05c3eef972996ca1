/** The contract check on decoded components (pure rules, plus the decoder on real components). */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { DecodedComponent } from '../src/binary/component-decoder.js';
import { decodeComponent } from '../src/binary/component-decoder.js';
import type { Extern } from '../src/binary/component-types.js';
import type { ContractShape } from '../src/artifact/contract.js';
import { GUEST_INTERFACE, HOST_INTERFACE, loadContract } from '../src/artifact/contract.js';
import { checkWorld } from '../src/artifact/world-check.js';
import { WASI_SUPPORT } from '../src/wasi/support.js';
import { asProbe, jsProbe } from './fixtures/build.js';

let contract: ContractShape;
let asDecoded: DecodedComponent;
before(async () => {
  contract = await loadContract();
  asDecoded = decodeComponent(await asProbe());
});

const emptyInstance: Extern = { sort: 'instance', type: { k: 'instance', exports: new Map() } };

function withImports(extra: [string, Extern][]): DecodedComponent {
  return { ...asDecoded, imports: new Map([...asDecoded.imports, ...extra]) };
}

describe('decoder', () => {
  it("reads a wit-component encoding: top-level modules, utf16 lifts, the contract's interfaces", () => {
    assert.equal(asDecoded.coreModules.length, 3);
    assert.ok(asDecoded.canon.filter((c) => c.op === 'lift').every((c) => c.stringEncoding === 'utf16' && c.realloc));
    assert.ok(asDecoded.imports.has(HOST_INTERFACE));
    assert.ok(asDecoded.exports.has(GUEST_INTERFACE));
  });

  it('reads a composed QuickJS component with resources (WASI) and nested components', async () => {
    const d = decodeComponent(await jsProbe());
    assert.ok(d.nestedComponents > 0 && d.nestedCoreModules > 0);
    const streams = [...d.imports.keys()].find((k) => k.startsWith('wasi:io/streams@'));
    assert.ok(streams);
    const exports = (d.imports.get(streams!) as Extern & { sort: 'instance' }).type.exports;
    assert.equal(exports.get('output-stream')?.sort, 'type');
  });

  it('rejects truncated input with an offset', () => {
    assert.throws(() => decodeComponent(new Uint8Array([0, 97, 115, 109, 13, 0, 1, 0, 7, 50, 1])), /at byte \d+/);
  });
});

describe('checkWorld', () => {
  it('accepts the probe agent', () => {
    assert.deepEqual(checkWorld(asDecoded, contract, WASI_SUPPORT).issues, []);
  });

  it('names foreign imports, unsupported WASI and WASI of another version', () => {
    const report = checkWorld(
      withImports([
        ['acme:db/query@1.0.0', emptyInstance],
        ['wasi:http/outgoing-handler@0.2.3', emptyInstance],
        ['wasi:cli/environment@0.3.0', emptyInstance],
        ['wasi:cli/environment@0.2.1', emptyInstance],
      ]),
      contract,
      WASI_SUPPORT,
    );
    assert.deepEqual(
      report.issues.map((i) => i.subject),
      ['acme:db/query@1.0.0', 'wasi:http/outgoing-handler@0.2.3', 'wasi:cli/environment@0.3.0'],
    );
    assert.match(report.issues[1]!.problem, /does not provide/);
    assert.match(report.issues[2]!.problem, /WASI 0\.3\.0; the sandbox provides WASI 0\.2\.x/);
    assert.deepEqual(report.wasiImports, ['wasi:cli/environment@0.2.1']);
  });

  it('names a missing guest function and a host function the contract does not have', () => {
    const guest = asDecoded.exports.get(GUEST_INTERFACE) as Extern & { sort: 'instance' };
    const exports = new Map(guest.type.exports);
    exports.delete('on-timer');
    const host = asDecoded.imports.get(HOST_INTERFACE) as Extern & { sort: 'instance' };
    const hostExports = new Map(host.type.exports);
    hostExports.set('spawn-process', { sort: 'func', type: { k: 'func', async: false, params: [], result: null } });
    const d: DecodedComponent = {
      ...asDecoded,
      imports: new Map([...asDecoded.imports, [HOST_INTERFACE, { sort: 'instance', type: { k: 'instance', exports: hostExports } }]]),
      exports: new Map([[GUEST_INTERFACE, { sort: 'instance', type: { k: 'instance', exports } }]]),
    };
    const subjects = checkWorld(d, contract, WASI_SUPPORT).issues.map((i) => `${i.subject} ${i.problem}`);
    assert.deepEqual(subjects, [
      `${HOST_INTERFACE}#spawn-process is not part of the contract`,
      `${GUEST_INTERFACE}#on-timer is not exported`,
    ]);
  });
});
