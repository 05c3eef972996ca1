/**
 * Whether a write to a file opened O_DSYNC returns as durable as a write then fdatasync would make
 * it, so the fdatasync can go (decision 2199): Linux. Elsewhere the flag is not used and each write
 * is followed by fdatasync: Windows has no O_DSYNC, and on macOS libuv's fdatasync is F_FULLFSYNC
 * (the drive's cache flushed), which an O_DSYNC write is not.
 */
import { constants as fsConstants } from 'node:fs';

export const DSYNC_WRITES: boolean = process.platform === 'linux' && typeof fsConstants.O_DSYNC === 'number';

/** The open flag that makes each write durable, where DSYNC_WRITES holds; 0 elsewhere. */
export const O_DSYNC_WHERE_DURABLE: number = DSYNC_WRITES ? fsConstants.O_DSYNC : 0;
