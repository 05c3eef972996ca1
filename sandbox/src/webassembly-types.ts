/**
 * The WebAssembly JS API as the sandbox uses it. The repository compiles with `lib: ES2023` and
 * Node 20's @types/node does not declare `WebAssembly`, so the subset we need is declared here (as
 * a global augmentation in a .ts file, so the emitted declarations carry it to our importers).
 */
declare global {
  namespace WebAssembly {
    type ImportValue = ((...args: never[]) => unknown) | Global | Memory | Table | number | bigint;
    type Imports = Record<string, Record<string, ImportValue>>;
    type ExportValue = ((...args: never[]) => unknown) | Global | Memory | Table;
    type Exports = Record<string, ExportValue>;
    interface ModuleImportDescriptor {
      module: string;
      name: string;
      kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
    }
    interface ModuleExportDescriptor {
      name: string;
      kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
    }
    interface Module {
      readonly __wasmModule?: never;
    }
    var Module: {
      prototype: Module;
      new (bytes: ArrayBufferView | ArrayBuffer): Module;
      imports(module: Module): ModuleImportDescriptor[];
      exports(module: Module): ModuleExportDescriptor[];
    };
    interface Instance {
      readonly exports: Exports;
    }
    var Instance: {
      prototype: Instance;
      new (module: Module, imports?: Imports): Instance;
    };
    interface MemoryDescriptor {
      initial: number;
      maximum?: number;
      shared?: boolean;
    }
    interface Memory {
      readonly buffer: ArrayBuffer;
      grow(delta: number): number;
    }
    var Memory: {
      prototype: Memory;
      new (descriptor: MemoryDescriptor): Memory;
    };
    interface GlobalDescriptor {
      value: 'i32' | 'i64' | 'f32' | 'f64' | 'externref' | 'anyfunc';
      mutable?: boolean;
    }
    interface Global {
      value: unknown;
    }
    var Global: {
      prototype: Global;
      new (descriptor: GlobalDescriptor, value?: unknown): Global;
    };
    interface Table {
      readonly length: number;
    }
    var Table: {
      prototype: Table;
    };
    interface RuntimeError extends Error {}
    var RuntimeError: { prototype: RuntimeError; new (message?: string): RuntimeError };
    interface CompileError extends Error {}
    var CompileError: { prototype: CompileError; new (message?: string): CompileError };
    interface LinkError extends Error {}
    var LinkError: { prototype: LinkError; new (message?: string): LinkError };
    function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
    function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
  }
}

export {};
