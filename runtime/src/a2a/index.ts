/** The A2A endpoint of a node (decision 1950): its one public entry point. */
export {
  checkA2aBinding,
  namesATask,
  namesATenant,
  startA2aServer,
  A2aConfigError,
  type A2aEndpoint,
  type A2aServerOptions,
} from './a2a-server.js';
export {
  agentCard,
  agentCardJson,
  agentBaseUrl,
  servicesByAgent,
  A2A_BASE_PATH,
  CARD_PATH,
  JSONRPC_PATH,
  REST_PATH,
  type CardInput,
} from './agent-card.js';
export { taskStateFor } from './task-state.js';
export { messageText } from './fipa-task-executor.js';
export {
  A2aTaskRefusedError,
  BoundedTaskStore,
  checkEntry,
  readTaskFile,
  taskFileHeader,
  TASK_FILE_VERSION,
  type SavedTask,
  type TaskFileContent,
  type TaskStoreBounds,
} from './bounded-task-store.js';
export { A2A_TASK_FILE_NAME, TaskFile } from './task-file.js';
