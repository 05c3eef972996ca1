/** Where the node's lines about its agents go: each agent's log (and stdout as JSON with --log-format json). */
import type { BusEvents } from '../bus/events.js';
import { printAgentLogsAsJson } from '../node/agent-log-printer.js';
import path from 'node:path';
import type { LogEntry } from '@caxton/core';
import { AgentLogs } from '../node/agent-logs.js';
import { emitLogRecord, type LogTraceIds } from '../telemetry/otlp-log-records.js';
import type { AgentLifecycle } from '../node/lifecycle/index.js';
import type { StartContext } from './start-context.js';

export function routeNodeLogs(ctx: StartContext, events: BusEvents, agents: AgentLifecycle, logs: AgentLogs): void {
  const { options, nodeId } = ctx;
  // Caxton's own lines about an agent (deployed, stopped, could not start, …) go to its log.
  agents.events.onType('agent-log', (e) => logs.append(e.agent, { level: e.level, message: `[caxton] ${e.message}`, at: Date.now() }));
  // --log-format json: agent log lines also go to stdout, as JSON with the handling's trace ids.
  if (options.telemetry?.logFormat === 'json') printAgentLogsAsJson(events, agents.events, nodeId);
  events.on(
    (e) => {
      if (e.type === 'log') logs.append(e.agent, e.line, e.trace);
      else if (e.type === 'dead-lettered')
        logs.append(e.agent, { level: 'error', message: `[caxton] message ${e.deliveryId} dead-lettered: ${e.reason}`, at: Date.now() });
      else if (e.type === 'handled' && e.outcome.status === 'crashed') {
        logs.append(e.agent, {
          level: 'error',
          message: `[caxton] crashed handling ${e.messageId} (attempt ${e.attempt}): ${e.outcome.kind}: ${e.outcome.message}`,
          at: Date.now(),
        });
      } else if (e.type === 'breaker') {
        logs.append(e.agent, {
          level: e.to === 'closed' ? 'info' : 'warn',
          message: `[caxton] circuit breaker ${e.from} -> ${e.to} (${breakerReason(e.reason, e.failures)})`,
          at: e.at,
        });
      }
    },
    ['log', 'dead-lettered', 'handled', 'breaker'],
  ); // only these: the bus skips building events nobody wants
}

/** Why a circuit breaker moved, for the agent's log (decision 1921). */
function breakerReason(reason: string, failures: number): string {
  switch (reason) {
    case 'failures':
      return `${failures} deliveries failed in a row: new sends are refused for the cool-down`;
    case 'cool-down':
      return 'cool-down over: the next message is let through as a probe';
    case 'probe-failed':
      return 'the probe failed: refusing again for another cool-down';
    case 'handled':
      return 'a delivery was handled: sends pass again';
    default:
      return 'the agent was replaced: sends pass again';
  }
}

/** Each agent's log, on disk in the node's data directory. */
export function createAgentLogs(ctx: StartContext): AgentLogs {
  const { nodeId, dataDir, otlpLogger } = ctx;
  // With OTLP log export every line of the node's agent logs also leaves as a log record (decision 1850).
  return new AgentLogs({
    nodeId,
    linesPerAgent: 1000,
    directory: path.join(dataDir, 'logs'),
    ...(otlpLogger ? { onAppend: (entry: LogEntry, ids: LogTraceIds | undefined) => emitLogRecord(otlpLogger, entry, ids) } : {}),
  });
}
