/** A refused file operation (decision 2191): its WASI error code and the code's POSIX name. */
export declare class FileError extends Error {
  readonly code: string;
  readonly errno: string;
}

/** The agent's files at /data (an agent built with `"caxton": { "wasi": true }`). Paths are relative to /data or under it. */
export declare const files: {
  readBytes(path: string): Uint8Array;
  readFile(path: string): string;
  writeFile(path: string, data: string | Uint8Array): void;
  appendFile(path: string, data: string | Uint8Array): void;
  readDir(path?: string): { name: string; directory: boolean }[];
  mkdir(path: string): void;
  rmdir(path: string): void;
  unlink(path: string): void;
  rename(from: string, to: string): void;
};
