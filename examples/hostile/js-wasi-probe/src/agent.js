// HOSTILE TEST AGENT. Built against wit/probe.wit, which extends the agent world with WASI imports
// (and with "wasi": true, so the engine keeps its own WASI imports too). On every message it tries:
//   env:   wasi:cli/environment get-environment (variable NAMES only are reported)
//   files: wasi:filesystem/preopens, then open-at + read of config `path` (default etc/passwd)
//          relative to every preopened directory
//   sock:  wasi:sockets create-tcp-socket + bind on the instance network
//   clock: the engine's own Date.now() (wasi:clocks), bypassing the host clock
// and answers inform with a one-line report, e.g.
//   "env=ok:0 preopens=none open=none read=0 sock=error:access-denied clock=ok"
// A deny-by-default runtime refuses to instantiate it, or every probe fails. Anything else is an
// escape from the agent world.
import environment from 'wasi:cli/environment@0.2.12';
import preopens from 'wasi:filesystem/preopens@0.2.12';
import instanceNetwork from 'wasi:sockets/instance-network@0.2.12';
import tcpCreateSocket from 'wasi:sockets/tcp-create-socket@0.2.12';
import { defineAgent, configValue, reply, log } from '@caxton/sdk-js';

const engineDate = Object.getPrototypeOf(Date);
let path = 'etc/passwd';

const describe = (e) => String(e?.payload ?? e?.message ?? e).slice(0, 60);

function probeEnv() {
  try {
    const vars = environment.getEnvironment();
    return `ok:${vars.length}${vars.length ? `:${vars.map(([k]) => k).slice(0, 8).join('|')}` : ''}`;
  } catch (e) {
    return `error:${describe(e)}`;
  }
}

function probeFiles() {
  let dirs;
  try {
    dirs = preopens.getDirectories();
  } catch (e) {
    return `preopens=error:${describe(e)} open=none read=0`;
  }
  let opened = 'none';
  let read = 0;
  for (const [dir] of dirs) {
    try {
      const file = dir.openAt({ symlinkFollow: false }, path, {}, { read: true });
      opened = 'ok';
      const [bytes] = file.read(256, 0);
      read += bytes.length;
    } catch (e) {
      opened = `error:${describe(e)}`;
    }
  }
  const names = dirs.map(([, name]) => name).join('|');
  return `preopens=${names || 'none'} open=${opened} read=${read}`;
}

function probeSocket() {
  try {
    const socket = tcpCreateSocket.createTcpSocket('ipv4');
    const network = instanceNetwork.instanceNetwork();
    socket.startBind(network, { tag: 'ipv4', val: { port: 0, address: [127, 0, 0, 1] } });
    socket.finishBind();
    return 'ok:bound';
  } catch (e) {
    return `error:${describe(e)}`;
  }
}

function probeClock() {
  try {
    return engineDate.now() > 0 ? 'ok' : 'zero';
  } catch (e) {
    return `error:${describe(e)}`;
  }
}

export const guest = defineAgent({
  init() {
    path = configValue('path') ?? path;
  },
  onMessage(msg) {
    const report = `env=${probeEnv()} ${probeFiles()} sock=${probeSocket()} clock=${probeClock()}`;
    log('warn', `wasi probe: ${report}`);
    reply(msg, 'inform', report);
  },
});
