/**
 * With `--log-format json` the node also prints its agents' log lines to stdout, one JSON object
 * each, so that in a container (where stdout is what gets collected) agent logs reach the log
 * pipeline with the agent's name and the trace of the message being handled. In text mode they
 * stay where they always were (the node's per-agent logs, `caxton logs`), not on stdout.
 */
import type { Instrumentation, LogLevel as CoreLogLevel } from '@caxton/core';
import type { BusEvent } from '../bus/events.js';
import type { AgentLifecycleEvent } from './local-agents.js';
import { formatJsonLogLine, type LogLevel } from '../telemetry/json-log.js';

function level(l: CoreLogLevel | string): LogLevel {
  return l === 'trace' ? 'debug' : l === 'debug' || l === 'info' || l === 'warn' || l === 'error' ? l : 'info';
}

export function printAgentLogsAsJson(
  bus: Instrumentation<BusEvent>,
  lifecycle: Instrumentation<AgentLifecycleEvent>,
  node: string,
  write: (line: string) => void = (line) => {
    process.stdout.write(line);
  },
): () => void {
  const offBus = bus.onType('log', (e) => {
    write(
      formatJsonLogLine({
        time: new Date(e.line.at).toISOString(),
        level: level(e.line.level),
        msg: e.line.message,
        node,
        agent: e.agent,
        ...(e.trace ? { trace_id: e.trace.traceId, span_id: e.trace.spanId } : {}),
      }),
    );
  });
  const offLifecycle = lifecycle.onType('agent-log', (e) => {
    write(formatJsonLogLine({ time: new Date().toISOString(), level: level(e.level), msg: `[caxton] ${e.message}`, node, agent: e.agent }));
  });
  return () => {
    offBus();
    offLifecycle();
  };
}
