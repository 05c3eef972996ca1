// Imported first by every JavaScript agent `caxton build` makes (the build wraps your entry).
//
// Agents run without WASI (deny-by-default), so the engine's own clock and stdout are stubs that
// trap. This routes the two things authors reach for without thinking through the host instead:
//   console.log/info/warn/error/debug -> the agent log
//   Date.now() and new Date()         -> the host clock
// It runs once, at build time, inside the Wizer snapshot; nothing here calls the host until an
// agent handler does.
import host from 'caxton:agent/host@0.1.0';

const format = (args) => args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' ');
function safeJson(v) {
  try {
    return v instanceof Error ? `${v.name}: ${v.message}` : JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

globalThis.console = {
  log: (...a) => host.log('info', format(a)),
  info: (...a) => host.log('info', format(a)),
  debug: (...a) => host.log('debug', format(a)),
  trace: (...a) => host.log('trace', format(a)),
  warn: (...a) => host.log('warn', format(a)),
  error: (...a) => host.log('error', format(a)),
};

const EngineDate = globalThis.Date;
const hostNow = () => Number(host.now());
class CaxtonDate extends EngineDate {
  constructor(...args) {
    if (args.length === 0) super(hostNow());
    else super(...args);
  }
  static now() {
    return hostNow();
  }
}
globalThis.Date = CaxtonDate;
