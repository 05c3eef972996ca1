/**
 * Can an artifact run on the direct path (our own canonical-ABI binding, no jco glue)?
 *
 * Only when it is exactly what wit-component makes of one core module for the `agent` world: we
 * take its first core module, re-encode it against the contract WIT with the string encoding its
 * lifts declare (`jco embed` + `jco new`) and require the result to equal the artifact section for
 * section (custom sections aside). Then the artifact's wiring is the canonical one — every host
 * import of the module is the host function of the same name, lowered with that encoding — and
 * binding the module directly is semantically identical to running the component.
 */
import type { DecodedComponent } from '../binary/component-decoder.js';
import type { CoreFuncType } from '../binary/core-module.js';
import { exportedFuncType, importedFuncType, inspectCoreModule } from '../binary/core-module.js';
import { readSections } from '../binary/reader.js';
import {
  GUEST_EXPORT_SIGS,
  GUEST_PREFIX,
  IMPORT_SIGS,
  INITIALIZE,
  INITIALIZE_SIG,
  POST_PREFIX,
  POST_RETURN_SIG,
  REALLOC_SIG,
  guestRealloc,
} from '../abi.js';
import { CONTRACT_WORLD } from './contract.js';

export type DirectPlan =
  | { eligible: true; module: Uint8Array; stringEncoding: 'utf8' | 'utf16'; hostImports: string[] }
  | { eligible: false; reason: string };

function sameSig(actual: CoreFuncType | null, want: { params: string[]; results: string[] }): boolean {
  return (
    actual !== null &&
    actual.params.length === want.params.length &&
    actual.results.length === want.results.length &&
    actual.params.every((p, i) => p === want.params[i]) &&
    actual.results.every((p, i) => p === want.results[i])
  );
}

function sectionsEqual(a: Uint8Array, b: Uint8Array): boolean {
  // Walked side by side, one section at a time (custom sections skipped): nothing is collected.
  const nonCustom = function* (bytes: Uint8Array) {
    for (const s of readSections(bytes)) if (s.id !== 0) yield s;
  };
  const ia = nonCustom(a);
  const ib = nonCustom(b);
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done === y.done;
    const xa = a.subarray(x.value.start, x.value.end);
    const yb = b.subarray(y.value.start, y.value.end);
    if (xa.length !== yb.length || !xa.every((v, j) => v === yb[j])) return false;
  }
}

export async function planDirect(
  artifact: Uint8Array,
  decoded: DecodedComponent,
  wasiImports: string[],
  witSource: string,
): Promise<DirectPlan> {
  const no = (reason: string): DirectPlan => ({ eligible: false, reason });
  if (wasiImports.length > 0) return no(`it imports WASI (${wasiImports.join(', ')})`);
  if (decoded.nestedCoreModules > 0 || decoded.coreModules.length === 0) return no('it is a composition of components');
  const lifts = new Set(decoded.canon.filter((o) => o.op === 'lift').map((o) => o.stringEncoding));
  const encodings = new Set(decoded.canon.filter((o) => o.memory).map((o) => o.stringEncoding));
  for (const e of lifts) encodings.add(e);
  if (encodings.size !== 1) return no(`it mixes string encodings (${[...encodings].join(', ')})`);
  const encoding = [...encodings][0]!;
  if (encoding !== 'utf8' && encoding !== 'utf16') return no(`its string encoding is ${encoding}`);

  const module = decoded.coreModules[0]!;
  const info = inspectCoreModule(module);
  const hostImports: string[] = [];
  for (const imp of info.imports) {
    const sigs = Object.hasOwn(IMPORT_SIGS, imp.module) ? IMPORT_SIGS[imp.module]! : undefined;
    const want = sigs !== undefined && Object.hasOwn(sigs, imp.field) ? sigs[imp.field] : undefined;
    if (!want || imp.kind !== 'func') return no(`its core module imports ${imp.module}#${imp.field}`);
    if (!sameSig(importedFuncType(info, imp.module, imp.field), want)) return no(`${imp.field} has an unexpected core signature`);
    hostImports.push(`${imp.module}#${imp.field}`);
  }
  if (!info.exports.some((e) => e.name === 'memory' && e.kind === 'memory')) return no('its core module exports no memory');
  const realloc = guestRealloc(Object.fromEntries(info.exports.map((e) => [e.name, e])));
  if (!sameSig(exportedFuncType(info, realloc), REALLOC_SIG)) return no(`its core module exports no ${realloc} of the right signature`);
  const initialize = exportedFuncType(info, INITIALIZE);
  if (initialize !== null && !sameSig(initialize, INITIALIZE_SIG)) return no(`${INITIALIZE} has an unexpected core signature`);
  for (const [fn, sig] of Object.entries(GUEST_EXPORT_SIGS)) {
    if (!sameSig(exportedFuncType(info, GUEST_PREFIX + fn), sig))
      return no(`${GUEST_PREFIX}${fn} is missing or has an unexpected core signature`);
    const post = exportedFuncType(info, POST_PREFIX + fn);
    if (post !== null && !sameSig(post, POST_RETURN_SIG)) return no(`${POST_PREFIX}${fn} has an unexpected core signature`);
  }

  const jco = await import('@bytecodealliance/jco');
  let regenerated: Uint8Array;
  try {
    const embedded = await jco.componentEmbed({ binary: module, witSource, world: CONTRACT_WORLD, stringEncoding: encoding });
    regenerated = await jco.componentNew(embedded);
  } catch (err) {
    return no(`re-encoding its core module failed: ${(err as Error).message}`);
  }
  if (!sectionsEqual(artifact, regenerated)) return no('its structure differs from the canonical wit-component encoding');
  return { eligible: true, module, stringEncoding: encoding, hostImports };
}
