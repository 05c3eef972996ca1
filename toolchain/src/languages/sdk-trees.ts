/** SDK subdirectories that never end up in an agent (its tests and benchmarks). */
export const SDK_NON_SOURCES = ['test', 'bench'];
