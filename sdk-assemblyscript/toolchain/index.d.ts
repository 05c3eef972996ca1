export declare const sdkRoot: string;
export declare const transformPath: string;
export declare const WORLD: string;
export declare const WIT_PACKAGE: string;
export declare const STRING_ENCODING: 'utf16';
export declare function ascArgs(opts?: { runtime?: 'minimal' | 'incremental'; optimize?: boolean }): string[];
export declare const GC_GRANULARITY: number;
