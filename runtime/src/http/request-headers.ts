/**
 * The agent's request headers as the gateway sends them: the connection and framing headers the
 * gateway owns (Host, Content-Length, Transfer-Encoding, Connection, Upgrade, Proxy-*, …; see
 * core's `isForbiddenRequestHeader`) are DROPPED, not refused: the handling that made the call
 * has completed, so refusing here could only turn a fixable header into a lost call. The names
 * dropped are reported (a line in the agent's log). Values with CR or LF are dropped too (the
 * sandbox refuses them; Node would throw on them).
 */
import { isForbiddenRequestHeader } from '@caxton/core';

export function sanitizeRequestHeaders(headers: readonly [string, string][]): { headers: [string, string][]; dropped: string[] } {
  const kept: [string, string][] = [];
  const dropped: string[] = [];
  for (const [name, value] of headers) {
    if (isForbiddenRequestHeader(name) || /[\r\n\0]/.test(value) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) dropped.push(name);
    else kept.push([name, value]);
  }
  return { headers: kept, dropped };
}
