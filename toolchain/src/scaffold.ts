/**
 * `caxton new <language> <dir>`: a new agent project that builds and deploys as it is, copied from
 * templates/<language>/. Every file's text has `{{name}}` replaced by the agent's name; a file
 * named `*.tmpl` loses that suffix (so a template's TypeScript is not compiled with caxton itself,
 * and `gitignore.tmpl` becomes `.gitignore`).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BuildError } from './errors.js';
import { AGENT_LANGUAGES, type AgentLanguage } from './project.js';
import { toolchainPackageDir } from './toolchain.js';

export interface ScaffoldResult {
  language: AgentLanguage;
  dir: string;
  name: string;
  /** Files written, relative to `dir`. */
  files: string[];
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

export function templateDir(language: AgentLanguage): string {
  return path.join(toolchainPackageDir(), 'src', 'templates', language);
}

/** The languages that have a template in this caxton. */
export function scaffoldLanguages(): AgentLanguage[] {
  return AGENT_LANGUAGES.filter((l) => existsSync(templateDir(l)));
}

function listTemplate(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? path.join(rel, e.name) : e.name;
    if (e.isDirectory()) out.push(...listTemplate(root, child));
    else if (e.isFile()) out.push(child);
  }
  return out.sort();
}

function targetName(rel: string): string {
  const stripped = rel.endsWith('.tmpl') ? rel.slice(0, -'.tmpl'.length) : rel;
  return path.basename(stripped) === 'gitignore' ? path.join(path.dirname(stripped), '.gitignore') : stripped;
}

export async function scaffoldAgent(language: AgentLanguage, dirArg: string, opts: { name?: string } = {}): Promise<ScaffoldResult> {
  const dir = path.resolve(dirArg);
  const name =
    opts.name ??
    path
      .basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^[^a-z]+/, '');
  if (!NAME.test(name)) {
    throw new BuildError('build.bad-agent-name', `"${name.slice(0, 80)}" cannot name an agent project`, {
      context: { dir, name: name.slice(0, 80) },
      hint: 'use lower-case letters, digits and dashes, starting with a letter (--name my-agent)',
    });
  }
  const source = templateDir(language);
  if (!existsSync(source)) {
    throw new BuildError('build.no-template', `this caxton has no project template for ${language}`, {
      context: { language },
      hint: `templates exist for: ${scaffoldLanguages().join(', ')}`,
    });
  }
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new BuildError('build.target-not-empty', `${dir} already exists and is not an empty directory`, {
      context: { dir },
      hint: 'choose a new directory; caxton new never overwrites files',
    });
  }
  const files: string[] = [];
  for (const rel of listTemplate(source)) {
    const out = targetName(rel);
    const text = (await readFile(path.join(source, rel), 'utf8')).replaceAll('{{name}}', name);
    await mkdir(path.dirname(path.join(dir, out)), { recursive: true });
    await writeFile(path.join(dir, out), text, { flag: 'wx' });
    files.push(out);
  }
  return { language, dir, name, files };
}
