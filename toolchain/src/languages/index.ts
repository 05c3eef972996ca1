/**
 * The languages `caxton build` knows, by the language name a project is detected as. A language
 * whose builder is not registered here is refused by detectProject's caller with a typed error.
 */
import type { AgentLanguage } from '../project.js';
import { assemblyScriptBuilder } from './assemblyscript.js';
import { cBuilder } from './c.js';
import { goBuilder } from './go.js';
import { javaScriptBuilder } from './javascript.js';
import type { LanguageBuilder } from './language.js';
import { pythonBuilder } from './python.js';
import { rustBuilder } from './rust.js';

export const LANGUAGE_BUILDERS: Partial<Record<AgentLanguage, LanguageBuilder>> = {
  assemblyscript: assemblyScriptBuilder,
  javascript: javaScriptBuilder,
  c: cBuilder,
  go: goBuilder,
  python: pythonBuilder,
  rust: rustBuilder,
};

export type { BuildContext, BuildStep, LanguageBuilder, LanguagePlan } from './language.js';
