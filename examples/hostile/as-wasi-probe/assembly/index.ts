// HOSTILE TEST AGENT. On every message it tries to escape the agent world through WASI:
//   1. read the environment (environ_sizes_get / environ_get: variable NAMES only are reported),
//   2. find preopened directories (fd 3..9) and open + read a file (config `path`, default
//      "etc/passwd", relative to each preopen),
//   3. only with config `probe-sockets` = "true": accept a connection on fd 3 and 4 (sock_accept).
//      Off by default because the preview1 reactor adapter that ships with jco implements
//      sock_accept as a trap, which would end the probe before it reports.
// It answers inform with a one-line report, e.g.
//   "env=errno:0,count:0 preopens=none open=none read=0 sock=skipped"
// A deny-by-default runtime either refuses to instantiate it (it imports WASI) or every probe
// fails (non-zero errno, nothing read). Anything else is a sandbox escape.
import { Agent, AclMessage, InitContext, Performative, register, reply, warn } from "@caxton/sdk-assemblyscript";
import * as wasi from "./wasi";

const SCRATCH: usize = memory.data(64, 8);
let path = "etc/passwd";
let probeSocketsToo = false;

function probeEnv(): string {
  const err = wasi.environ_sizes_get(SCRATCH, SCRATCH + 4);
  if (err != 0) return "errno:" + err.toString();
  const count = load<u32>(SCRATCH);
  const size = load<u32>(SCRATCH + 4);
  let names = "";
  if (count > 0) {
    const ptrs = heap.alloc(<usize>count * 4);
    const buf = heap.alloc(<usize>size + 1);
    const e2 = wasi.environ_get(ptrs, buf);
    if (e2 == 0) {
      for (let i: u32 = 0; i < count && i < 8; i++) {
        const entry = String.UTF8.decodeUnsafe(load<usize>(ptrs + <usize>i * 4), 64, true);
        const eq = entry.indexOf("=");
        names += (names.length > 0 ? "|" : "") + (eq >= 0 ? entry.substring(0, eq) : entry);
      }
    }
    heap.free(ptrs);
    heap.free(buf);
  }
  return "errno:0,count:" + count.toString() + (names.length > 0 ? ",names:" + names : "");
}

function probeFiles(): string {
  let preopens = "";
  let opened = "none";
  let readBytes: u32 = 0;
  for (let fd: u32 = 3; fd < 10; fd++) {
    if (wasi.fd_prestat_get(fd, SCRATCH) != 0) continue;
    const nameLen = load<u32>(SCRATCH + 4);
    const nameBuf = heap.alloc(<usize>nameLen);
    wasi.fd_prestat_dir_name(fd, nameBuf, nameLen);
    preopens += (preopens.length > 0 ? "|" : "") + fd.toString() + ":" + String.UTF8.decodeUnsafe(nameBuf, nameLen);
    heap.free(nameBuf);
    const p = String.UTF8.encode(path);
    // rights: fd_read (bit 1); no create/trunc flags.
    const err = wasi.path_open(fd, 1, changetype<usize>(p), <usize>p.byteLength, 0, 2, 2, 0, SCRATCH + 16);
    if (err != 0) {
      opened = "errno:" + err.toString();
      continue;
    }
    const file = load<u32>(SCRATCH + 16);
    opened = "ok";
    const data = heap.alloc(256);
    store<u32>(SCRATCH + 24, <u32>data);
    store<u32>(SCRATCH + 28, 256);
    if (wasi.fd_read(file, SCRATCH + 24, 1, SCRATCH + 32) == 0) readBytes += load<u32>(SCRATCH + 32);
    heap.free(data);
  }
  return "preopens=" + (preopens.length > 0 ? preopens : "none") + " open=" + opened + " read=" + readBytes.toString();
}

function probeSockets(): string {
  if (!probeSocketsToo) return "sock=skipped";
  const a = wasi.sock_accept(3, 0, SCRATCH + 40);
  const b = wasi.sock_accept(4, 0, SCRATCH + 40);
  return "sock=errno:" + a.toString() + "," + b.toString();
}

class WasiProbe extends Agent {
  onInit(ctx: InitContext): void {
    const p = ctx.get("path");
    if (p !== null) path = p;
    const s = ctx.get("probe-sockets");
    probeSocketsToo = s !== null && s == "true";
  }
  onMessage(msg: AclMessage): void {
    const report = "env=" + probeEnv() + " " + probeFiles() + " " + probeSockets();
    warn("wasi probe: " + report);
    reply(msg, Performative.Inform, report);
  }
}

register(new WasiProbe());

export * from "@caxton/sdk-assemblyscript/exports";
