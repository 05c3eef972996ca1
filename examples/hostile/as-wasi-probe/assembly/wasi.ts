// The few WASI preview1 functions the probe calls, declared by hand (no wasi-shim dependency). The
// build's preview1 reactor adapter turns them into WASI 0.2 imports (wasi:cli/environment,
// wasi:filesystem/preopens, …), which is exactly what a deny-by-default runtime must refuse or stub.
// All return a WASI errno (0 = success).

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "environ_sizes_get")
export declare function environ_sizes_get(countPtr: usize, bufSizePtr: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "environ_get")
export declare function environ_get(environPtr: usize, bufPtr: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_get")
export declare function fd_prestat_get(fd: u32, prestatPtr: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_dir_name")
export declare function fd_prestat_dir_name(fd: u32, pathPtr: usize, pathLen: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_open")
export declare function path_open(
  dirFd: u32, dirFlags: u32, pathPtr: usize, pathLen: usize, oflags: u16,
  rightsBase: u64, rightsInheriting: u64, fdFlags: u16, fdPtr: usize,
): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_read")
export declare function fd_read(fd: u32, iovsPtr: usize, iovsLen: usize, nreadPtr: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "sock_accept")
export declare function sock_accept(fd: u32, flags: u16, fdPtr: usize): u16;
