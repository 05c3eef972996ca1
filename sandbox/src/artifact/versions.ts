/**
 * Version of the instrumentation (fuel pass + limit rewrite), part of the artifact cache key. Kept
 * apart from the passes so that loading cached artifacts never loads binaryen.
 */
import { FUEL_MODEL_VERSION } from '../fuel/cost-model.js';

/**
 * Bump when instrumentation output changes for reasons outside the cost model (trap-on-empty:
 * decision 0406; grow answers the delta: one memory budget per agent; close data segments merged:
 * decision 2113).
 */
export const INSTRUMENTATION_VERSION = `fuel${FUEL_MODEL_VERSION}-trap-on-empty-limits2-agent-memory-data-merged`;

/**
 * Version of the direct binding's coverage, part of the artifact cache key: an artifact prepared
 * when the direct path could not bind its imports (state, http before decision 1600/1601; topics
 * before 1961; message-info before 2001) was cached for the jco path; a new version prepares it again.
 */
export const DIRECT_BINDING_VERSION = 'state-http-topics-message-info-1';
