/**
 * `@caxton/sandbox/fuel`: the fuel pass for tools and benchmarks that measure it on their own. A
 * subpath of its own so that importing `@caxton/sandbox` does not load binaryen (decision 2132).
 */
export { instrumentFuel, moduleHasHandler, roundTripWithoutFuel } from './fuel-pass.js';
export { FUEL_EXPORT } from './names.js';
