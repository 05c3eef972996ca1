// AssemblyScript identifiers of the guest exports -> their canonical-ABI export names for
// `export guest` of caxton:agent@0.1.0 (the `cabi_post_` ones are the post-return functions).
const IFACE = 'caxton:agent/guest@0.1.0';

export const ABI_EXPORT_NAMES = Object.freeze({
  caxton_guest_init: `${IFACE}#init`,
  caxton_guest_handle: `${IFACE}#handle`,
  caxton_guest_on_timer: `${IFACE}#on-timer`,
  caxton_post_init: `cabi_post_${IFACE}#init`,
  caxton_post_handle: `cabi_post_${IFACE}#handle`,
  caxton_post_on_timer: `cabi_post_${IFACE}#on-timer`,
});

/** Exports a finished agent core module must have (besides the ABI functions above). */
export const REQUIRED_PLAIN_EXPORTS = Object.freeze(['memory', 'cabi_realloc', 'cabi_export_realloc', 'cabi_import_realloc', '_initialize']);
