/**
 * Does a decoded component implement the contract? Pure: compares the component's imports and
 * exports with the contract shape and lists every mismatch in words an agent author can act on.
 *
 * Rules: imports are limited to the contract's interfaces (any subset of their functions, each with
 * exactly the contract's type) and to the WASI 0.2 interfaces the sandbox implements deny-by-default;
 * the guest interface must be exported with all of its functions; other exports are ignored.
 */
import type { DecodedComponent } from '../binary/component-decoder.js';
import type { ContractShape } from './contract.js';
import { CONTRACT_PACKAGE, CONTRACT_VERSION, interfaceShape } from './contract.js';
import type { WasiSupport } from '../wasi/support.js';

export interface WorldIssue {
  /** The import/export (and member) concerned. */
  subject: string;
  problem: string;
}

export interface WorldReport {
  issues: WorldIssue[];
  /** WASI interfaces the component imports (served by the deny-by-default shim). */
  wasiImports: string[];
  /** Exports beyond the contract (never called). */
  extraExports: string[];
}

function splitVersion(name: string): { base: string; version: string | null } {
  const at = name.lastIndexOf('@');
  return at < 0 ? { base: name, version: null } : { base: name.slice(0, at), version: name.slice(at + 1) };
}

export function checkWorld(component: DecodedComponent, contract: ContractShape, wasi: WasiSupport): WorldReport {
  const issues: WorldIssue[] = [];
  const wasiImports: string[] = [];
  const extraExports: string[] = [];

  for (const [name, ext] of component.imports) {
    const expected = contract.imports.get(name);
    if (expected) {
      const actual = interfaceShape(ext);
      if (!actual) {
        issues.push({ subject: name, problem: `is imported as a ${ext.sort}, the contract defines an interface` });
        continue;
      }
      for (const [member, sig] of actual) {
        const want = expected.get(member);
        if (want === undefined) issues.push({ subject: `${name}#${member}`, problem: 'is not part of the contract' });
        else if (want !== sig)
          issues.push({ subject: `${name}#${member}`, problem: `has type ${excerptType(sig)}, the contract says ${want}` });
      }
      continue;
    }
    const { base, version } = splitVersion(name);
    if (base.startsWith(`${CONTRACT_PACKAGE}/`)) {
      issues.push({
        subject: name,
        problem: contract.imports.has(`${base}@${CONTRACT_VERSION}`)
          ? `is version ${version ?? '(none)'}; this runtime implements ${CONTRACT_PACKAGE}@${CONTRACT_VERSION}`
          : 'is not an interface of the contract',
      });
      continue;
    }
    if (base.startsWith('wasi:')) {
      if (!wasi.interfaces.has(base)) {
        issues.push({
          subject: name,
          problem: 'is a WASI interface the sandbox does not provide (agents get no network, filesystem or other host access)',
        });
      } else if (version === null || !(version === wasi.versionPrefix || version.startsWith(`${wasi.versionPrefix}.`))) {
        issues.push({ subject: name, problem: `is WASI ${version ?? 'unversioned'}; the sandbox provides WASI ${wasi.versionPrefix}.x` });
      } else {
        wasiImports.push(name);
      }
      continue;
    }
    issues.push({ subject: name, problem: `is imported, but the ${CONTRACT_PACKAGE}@${CONTRACT_VERSION} agent world does not provide it` });
  }

  for (const [name, expected] of contract.exports) {
    const ext = component.exports.get(name);
    if (!ext) {
      const other = [...component.exports.keys()].find((n) => splitVersion(n).base === splitVersion(name).base);
      issues.push({
        subject: name,
        problem: other ? `is missing (the component exports ${other} instead)` : 'is not exported',
      });
      continue;
    }
    const actual = interfaceShape(ext);
    if (!actual) {
      issues.push({ subject: name, problem: `is exported as a ${ext.sort}, the contract defines an interface` });
      continue;
    }
    for (const [member, want] of expected) {
      if (want.startsWith('func(') || want.startsWith('async func(')) {
        const sig = actual.get(member);
        if (sig === undefined) issues.push({ subject: `${name}#${member}`, problem: 'is not exported' });
        else if (sig !== want)
          issues.push({ subject: `${name}#${member}`, problem: `has type ${excerptType(sig)}, the contract says ${want}` });
      }
    }
  }
  for (const name of component.exports.keys()) if (!contract.exports.has(name)) extraExports.push(name);

  return { issues, wasiImports, extraExports };
}

/** A type as quoted in an error: at most a few hundred characters of a hostile component's text. */
function excerptType(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}… (${text.length > 4_096 ? 'over 4,096' : text.length} characters)` : text;
}
