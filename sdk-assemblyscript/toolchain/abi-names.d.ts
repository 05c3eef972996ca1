export declare const ABI_EXPORT_NAMES: Readonly<Record<string, string>>;
export declare const REQUIRED_PLAIN_EXPORTS: readonly string[];
