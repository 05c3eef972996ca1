/** The agents' lifecycle: deploy, upgrade, scale, stop, status, and whether one may get work, on every topology. */
export { AgentLifecycle } from './agent-lifecycle.js';
export { RESERVED_AGENT_NAMES, ReservedAgentNameError, type AgentLifecycleOptions } from './agent-lifecycle-options.js';
