/**
 * `caxton deploy|upgrade --ontology <name>=<schema.json|schema.xsd>` (repeatable, decisions 2183,
 * 2190): the ontologies the agent speaks, each with its JSON Schema or XML Schema file. Each file's size is checked before it
 * is read; the declaration they make together is checked here by the same parser the node runs, so
 * a wrong name or an oversized schema fails before the artifact is built or uploaded. Whether each
 * schema compiles is the node's check (it owns the validator): the CLI is not the only client.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { isCaxtonError, ONTOLOGY_LIMITS, parseOntologies, XML_SCHEMA_KEY } from '@caxton/core';
import { UsageError } from './cli-error.js';

const EXAMPLE = 'e.g. --ontology orders=orders.schema.json';

/** The declaration's JSON text (ontology name → schema), checked; undefined without the flag. */
export async function ontologiesFromFlags(given: string | readonly string[] | undefined, cwd: string): Promise<string | undefined> {
  if (given === undefined) return undefined;
  const pairs = typeof given === 'string' ? [given] : given;
  if (pairs.length === 0) return undefined;
  if (pairs.length > ONTOLOGY_LIMITS.maxOntologies)
    throw new UsageError(
      `--ontology is given ${pairs.length} times, more than the ${ONTOLOGY_LIMITS.maxOntologies} ontologies an agent may declare`,
    );
  const schemas: Record<string, unknown> = {};
  let budget = ONTOLOGY_LIMITS.maxTotalBytes;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) throw new UsageError(`--ontology ${pair.slice(0, 200)}: expected <name>=<schema.json>`, EXAMPLE);
    const name = pair.slice(0, eq);
    if (Object.hasOwn(schemas, name)) throw new UsageError(`--ontology ${name} is given twice`, 'give each ontology once');
    const file = pair.slice(eq + 1);
    const { text, bytes } = await readBounded(`--ontology ${pair.slice(0, 200)}`, path.resolve(cwd, file), budget);
    budget -= bytes;
    // An XML Schema (decision 2190): a .xsd file, or one whose text is XML; its content is checked as XML.
    if (file.toLowerCase().endsWith('.xsd') || text.trimStart().startsWith('<')) {
      schemas[name] = { [XML_SCHEMA_KEY]: text };
      continue;
    }
    try {
      schemas[name] = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`--ontology ${name}: the schema file is not JSON: ${(err as Error).message.slice(0, 200)}`);
    }
  }
  const text = JSON.stringify(schemas);
  try {
    parseOntologies(text, 'ontology');
  } catch (err) {
    if (isCaxtonError(err)) throw new UsageError(`--ontology: ${err.message}`, err.hint);
    throw err;
  }
  return text;
}

/** A schema file's text, refused without reading it when it is larger than what is left of the bound. */
async function readBounded(flag: string, file: string, budget: number): Promise<{ text: string; bytes: number }> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: Error) => {
    throw new UsageError(`${flag}: ${err.message}`);
  });
  try {
    const st = await handle.stat();
    // A device or FIFO has no size to check (0): refused, not read without end.
    if (!st.isFile()) throw new UsageError(`${flag} is not a regular file`, 'give the path of the JSON Schema file');
    if (st.size > budget)
      throw new UsageError(
        `${flag}: the schemas are more than the ${ONTOLOGY_LIMITS.maxTotalBytes} bytes an agent's ontologies may have in all`,
        'declare smaller schemas',
      );
    return { text: await handle.readFile('utf8'), bytes: st.size };
  } finally {
    await handle.close();
  }
}
