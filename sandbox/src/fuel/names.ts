/** Names the fuel pass adds to every core module, shared by the pass and the runtime side. */
export const FUEL_IMPORT_MODULE = 'caxton:fuel';
/** The module-internal fuel counter, exported so the host can set and read it between calls. */
export const FUEL_EXPORT = 'caxton:fuel';
