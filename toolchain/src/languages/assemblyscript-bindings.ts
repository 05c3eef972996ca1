/**
 * The AssemblyScript SDK's bindings of the agent world, generated from wit/agent.wit (decision
 * 2206): no Bytecode Alliance generator targets AssemblyScript, so this one writes what the SDK
 * would otherwise write by hand, from @caxton/core's reader and canonical ABI — the core imports
 * (`@external` declarations with their flat parameters) and the memory layouts (offsets, sizes,
 * alignments, payload offsets, enum case counts) the SDK's lifting and lowering use. What converts
 * values stays hand-written in the SDK (abi/lift.ts, abi/lower.ts), as abi_wasm.go does for Go.
 * `npm run gen:bindings` writes the files; a test compares them with this function's output.
 */
import { createHash } from 'node:crypto';
import {
  readWit,
  witResolveNamed,
  type CoreType,
  type WitPackage,
  type WitType,
  witDealias,
  witFieldOffsets,
  witFlatten,
  witInterfaceId,
  witLayout,
  witParamsByPointer,
  witPayloadOffset,
  witResultInMemory,
} from '@caxton/core';

/** Where the files go, under the SDK's `assembly/abi`. */
export const ASSEMBLYSCRIPT_BINDINGS_DIR = 'sdk-assemblyscript/assembly/abi/wit';

const snake = (s: string) => s.replaceAll('-', '_').toUpperCase();
const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const pascal = (s: string) => camel(s).replace(/^./, (c) => c.toUpperCase());
/** Words AssemblyScript reserves that a WIT function may be named. */
const RESERVED = new Set([
  'delete',
  'new',
  'function',
  'export',
  'import',
  'default',
  'in',
  'instanceof',
  'typeof',
  'void',
  'with',
  'yield',
]);

/** A type's name in constants: `option<string>` → OPTION_STRING, `result<_, state-error>` → RESULT_NONE_STATE_ERROR. */
function typeName(t: WitType | null): string {
  if (t === null) return 'NONE';
  switch (t.kind) {
    case 'primitive':
      return t.name.toUpperCase();
    case 'named':
      return snake(t.name);
    case 'list':
      return `LIST_${typeName(t.element)}`;
    case 'option':
      return `OPTION_${typeName(t.some)}`;
    case 'result':
      return `RESULT_${typeName(t.ok)}_${typeName(t.err)}`;
    case 'tuple':
      return `TUPLE_${t.elements.map(typeName).join('_')}`;
  }
}

class Constants {
  private readonly lines: string[] = [];
  private readonly names = new Set<string>();

  add(name: string, value: number, type: 'usize' | 'u32' = 'usize'): void {
    // Two WIT names that spell one constant (a record field and an enum case) must not share it.
    if (this.names.has(name)) throw new Error(`${name} is the name of two constants`);
    this.names.add(name);
    this.lines.push(`export const ${name}: ${type} = ${value};`);
  }

  comment(text: string): void {
    this.lines.push('', `// ${text}`);
  }

  text(): string {
    return `${this.lines.join('\n').trimStart()}\n`;
  }
}

/** Layouts of every anonymous option, result and tuple the world's types and functions use. */
function anonymousLayouts(pkg: WitPackage, out: Constants, type: WitType | null, seen: Set<string>): void {
  const t = type === null ? null : witDealias(pkg, type);
  if (t === null || t.kind === 'primitive' || t.kind === 'named') return;
  if (t.kind === 'list') return anonymousLayouts(pkg, out, t.element, seen);
  const name = typeName(t);
  const inner = t.kind === 'option' ? [t.some] : t.kind === 'result' ? [t.ok, t.err] : t.elements;
  for (const i of inner) anonymousLayouts(pkg, out, i, seen);
  if (seen.has(name)) return;
  seen.add(name);
  const { size, align } = witLayout(pkg, t);
  out.comment(`${witTypeText(t)}: ${size} bytes, align ${align}`);
  if (t.kind === 'tuple') {
    witFieldOffsets(pkg, t.elements).offsets.forEach((o, i) => {
      out.add(`${name}_${i}`, o);
    });
  } else {
    out.add(`${name}_PAYLOAD`, witPayloadOffset(pkg, t));
  }
  out.add(`${name}_SIZE`, size);
  out.add(`${name}_ALIGN`, align);
}

function layoutFile(pkg: WitPackage): string {
  const out = new Constants();
  const string = witLayout(pkg, { kind: 'primitive', name: 'string' });
  out.comment('string and list<T>: (ptr: u32, len: u32); a string’s len counts UTF-16 code units (the SDK embeds with utf16)');
  out.add('SLICE_SIZE', string.size);
  out.add('SLICE_ALIGN', string.align);
  const seen = new Set<string>();
  for (const iface of pkg.interfaces.values()) {
    for (const def of iface.types.values()) {
      if (def.kind === 'enum' || def.kind === 'variant') {
        out.comment(`${def.kind} ${def.name} (${iface.name}): each case's discriminant, and the count (a discriminant is below it)`);
        def.cases.forEach((c, i) => {
          out.add(`${snake(def.name)}_${snake(typeof c === 'string' ? c : c.name)}`, i, 'u32');
        });
        out.add(`${snake(def.name)}_CASES`, def.cases.length, 'u32');
      } else if (def.kind === 'record') {
        const t: WitType = { kind: 'named', interface: iface.name, name: def.name };
        const { offsets, size, align } = witFieldOffsets(
          pkg,
          def.fields.map((f) => f.type),
        );
        out.comment(`record ${def.name} (${iface.name}): ${size} bytes, align ${align}`);
        def.fields.forEach((f, i) => {
          const at = offsets[i] ?? 0;
          out.add(`${snake(def.name)}_${snake(f.name)}`, at);
          const type = witDealias(pkg, f.type);
          if (type.kind === 'option' || type.kind === 'result' || witResolveNamed(pkg, type)?.kind === 'variant') {
            out.add(`${snake(def.name)}_${snake(f.name)}_PAYLOAD`, at + witPayloadOffset(pkg, type));
          }
        });
        out.add(`${snake(def.name)}_SIZE`, witLayout(pkg, t).size);
        out.add(`${snake(def.name)}_ALIGN`, align);
        for (const f of def.fields) anonymousLayouts(pkg, out, f.type, seen);
      }
    }
    for (const fn of iface.functions) {
      for (const p of fn.params) anonymousLayouts(pkg, out, p.type, seen);
      anonymousLayouts(pkg, out, fn.result, seen);
    }
  }
  return out.text();
}

/** The flat parameters of one WIT parameter, named after it and its fields, with AssemblyScript types. */
function flatNames(pkg: WitPackage, name: string, type: WitType): [string, string][] {
  const t = witDealias(pkg, type);
  const scalar = (core: CoreType, wit: string): string =>
    core === 'i64' ? (wit === 's64' ? 'i64' : 'u64') : core === 'i32' ? (/^s(8|16|32)$/.test(wit) ? 'i32' : 'u32') : core;
  if (t.kind === 'primitive') {
    if (t.name === 'string')
      return [
        [`${name}Ptr`, 'usize'],
        [`${name}Len`, 'u32'],
      ];
    return [[name, scalar(witFlatten(pkg, t)[0] as CoreType, t.name)]];
  }
  if (t.kind === 'list')
    return [
      [`${name}Ptr`, 'usize'],
      [`${name}Len`, 'u32'],
    ];
  const def = t.kind === 'named' ? witResolveNamed(pkg, t) : null;
  if (t.kind === 'tuple') return t.elements.flatMap((e, i) => flatNames(pkg, `${name}${i}`, e));
  if (def?.kind === 'record') return def.fields.flatMap((f) => flatNames(pkg, `${name}${pascal(f.name)}`, f.type));
  if (def?.kind === 'enum') return [[name, 'u32']];
  if (t.kind === 'option') {
    const some = flatNames(pkg, name, t.some);
    return [[`has${pascal(name)}`, 'u32'], ...some];
  }
  // result and variant: the joined payload values carry no one case's names.
  return witFlatten(pkg, t).map((core, i): [string, string] => [i === 0 ? `${name}Case` : `${name}${i}`, scalar(core, '')]);
}

function importsFile(pkg: WitPackage, ifaceName: string): string {
  const iface = pkg.interfaces.get(ifaceName);
  if (iface === undefined) throw new Error(`no interface ${ifaceName}`);
  const module = witInterfaceId(pkg, ifaceName);
  const lines: string[] = [];
  for (const fn of iface.functions) {
    const byPointer = witParamsByPointer(pkg, fn);
    const params: [string, string][] = byPointer
      ? [[fn.params.length === 1 ? camel(fn.params[0]?.name ?? 'args') : 'args', 'usize']]
      : fn.params.flatMap((p) => flatNames(pkg, camel(p.name), p.type));
    const inMemory = witResultInMemory(pkg, fn);
    if (inMemory) params.push(['ret', 'usize']);
    const names = params.map(([n]) => n);
    const clash = names.find((n, i) => names.indexOf(n) !== i || RESERVED.has(n));
    if (clash !== undefined) throw new Error(`${fn.name}: its flat parameter "${clash}" is reserved or named twice`);
    const result = fn.result === null || inMemory ? 'void' : (flatNames(pkg, 'result', fn.result)[0]?.[1] ?? 'void');
    const id = RESERVED.has(camel(fn.name)) ? `${camel(fn.name)}_` : camel(fn.name);
    const signature = `(${fn.params.map((p) => `${p.name}: ${witTypeText(p.type)}`).join(', ')})${fn.result === null ? '' : ` -> ${witTypeText(fn.result)}`}`;
    const size =
      fn.result?.kind === 'list' || (fn.result?.kind === 'primitive' && fn.result.name === 'string') ? 'SLICE' : typeName(fn.result);
    const how = [byPointer ? 'arguments by pointer' : '', inMemory ? `result written at ret (${size}_SIZE bytes)` : '']
      .filter(Boolean)
      .join('; ');
    lines.push(
      '',
      `// ${fn.name}${signature}${how ? `: ${how}` : ''}`,
      '// @ts-ignore: decorator',
      `@external("${module}", "${fn.name}")`,
      `export declare function ${id}(${params.map(([n, t]) => `${n}: ${t}`).join(', ')}): ${result};`,
    );
  }
  return `// The core imports of ${module}. AssemblyScript imports only what a program calls.\n${lines.join('\n')}\n`;
}

function witTypeText(t: WitType | null): string {
  if (t === null) return '_';
  switch (t.kind) {
    case 'primitive':
      return t.name;
    case 'named':
      return t.name;
    case 'list':
      return `list<${witTypeText(t.element)}>`;
    case 'option':
      return `option<${witTypeText(t.some)}>`;
    case 'result':
      return t.ok === null && t.err === null ? 'result' : `result<${witTypeText(t.ok)}, ${witTypeText(t.err)}>`;
    case 'tuple':
      return `tuple<${t.elements.map(witTypeText).join(', ')}>`;
  }
}

/**
 * The generated files of `witText`'s world, by path under ASSEMBLYSCRIPT_BINDINGS_DIR, each
 * headed by the line naming the WIT's digest (as wit-bindgen's outputs here are): layout.ts, then
 * one file of core imports per imported interface (`host.ts`, `state.ts`, …).
 */
export function generateAssemblyScriptBindings(witText: string, world = 'agent'): Map<string, string> {
  const digest = createHash('sha256').update(witText).digest('hex');
  const header = `// Generated from wit/agent.wit (sha256 ${digest}) by scripts/gen-bindings.mjs: do not edit.\n`;
  const pkg = readWit(witText);
  const w = pkg.worlds.get(world);
  if (w === undefined) throw new Error(`the WIT has no world ${world}`);
  const files = new Map<string, string>([
    [
      'layout.ts',
      `${header}// Canonical-ABI memory layouts of the records and the anonymous types of the WIT, and its enums' discriminants.\n\n${layoutFile(pkg)}`,
    ],
  ]);
  for (const name of w.imports) files.set(`${name}.ts`, `${header}${importsFile(pkg, name)}`);
  return files;
}
