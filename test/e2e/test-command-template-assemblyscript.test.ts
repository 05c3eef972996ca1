/**
 * `caxton new assemblyscript` passes its own scenario with `caxton test` as scaffolded (decision 2030). The
 * C and Rust scaffolds run theirs in outside-c.test.ts and outside-rust.test.ts, which build them
 * anyway; every language's is checked against the format by cli/test/scenario-templates.test.ts;
 * Go and Python would cost minutes of CI here.
 */
import { templateScenarioPasses } from './support/template-scenario.js';

templateScenarioPasses('assemblyscript');
