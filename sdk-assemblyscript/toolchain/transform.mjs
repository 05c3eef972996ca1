// asc transform: renames the SDK's guest exports to their canonical-ABI names once compilation is
// done (AssemblyScript identifiers cannot contain ':', '/', '@' or '#').
import { ABI_EXPORT_NAMES } from './abi-names.mjs';

export default class CaxtonAbiTransform {
  afterCompile(module) {
    const binaryen = this.binaryen;
    let found = 0;
    for (const [from, to] of Object.entries(ABI_EXPORT_NAMES)) {
      const ref = module.getExport(from);
      if (!ref) continue;
      const info = binaryen.getExportInfo(ref);
      module.removeExport(from);
      module.addFunctionExport(info.value, to);
      found++;
    }
    if (found !== 0 && found !== Object.keys(ABI_EXPORT_NAMES).length) {
      throw new Error(`caxton: only ${found} of ${Object.keys(ABI_EXPORT_NAMES).length} guest exports present`);
    }
  }
}
