/**
 * `--ontology <name>=<schema.json>` (decision 2183) is read bounded and checked before anything is
 * uploaded: each pair's shape, each file (a device, a file over what is left of the bound, a missing
 * file, text that is not JSON), and the declaration by core's parser (names, schema shapes).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ONTOLOGY_LIMITS } from '@caxton/core';
import { ontologiesFromFlags } from '../src/ontology-flag.js';
import { UsageError } from '../src/cli-error.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'caxton-ontology-flag-'));
  await writeFile(path.join(dir, 'orders.json'), JSON.stringify({ type: 'object', required: ['id'] }));
  await writeFile(path.join(dir, 'any.json'), 'true');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function refused(message: RegExp): (e: unknown) => boolean {
  return (e: unknown) => e instanceof UsageError && message.test(e.message);
}

test('--ontology pairs make one declaration, as the node takes it', async () => {
  assert.equal(await ontologiesFromFlags(undefined, dir), undefined);
  const text = await ontologiesFromFlags(['orders=orders.json', 'fipa:any=any.json'], dir);
  assert.deepEqual(JSON.parse(text!), { orders: { type: 'object', required: ['id'] }, 'fipa:any': true });
  assert.deepEqual(JSON.parse((await ontologiesFromFlags('orders=orders.json', dir))!), { orders: { type: 'object', required: ['id'] } });
});

test('--ontology takes an XML Schema from a .xsd file, as {"$xmlSchema": its text} (decision 2190)', async () => {
  const xsd = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="order" type="xs:string"/></xs:schema>';
  await writeFile(path.join(dir, 'orders.xsd'), xsd);
  const text = await ontologiesFromFlags(['orders=orders.xsd', 'fipa:any=any.json'], dir);
  assert.deepEqual(JSON.parse(text!), { orders: { $xmlSchema: xsd }, 'fipa:any': true });
  await writeFile(
    path.join(dir, 'remote.xsd'),
    xsd.replace('<xs:element', '<xs:include schemaLocation="http://x.example/a.xsd"/><xs:element'),
  );
  await assert.rejects(ontologiesFromFlags(['orders=remote.xsd'], dir), refused(/refers to another document \(schemaLocation\)/));
});

test('--ontology refuses a malformed pair, a name given twice and a bad name', async () => {
  for (const pair of ['orders', '=orders.json', 'orders='])
    await assert.rejects(ontologiesFromFlags([pair], dir), refused(/expected <name>=<schema\.json>/));
  await assert.rejects(ontologiesFromFlags(['orders=orders.json', 'orders=any.json'], dir), refused(/given twice/));
  await assert.rejects(ontologiesFromFlags(['-bad=any.json'], dir), refused(/is not an ontology name/));
});

test('--ontology refuses a device, a missing file, a file that is not JSON or not a schema', async () => {
  await assert.rejects(ontologiesFromFlags(['o=/dev/zero'], dir), refused(/is not a regular file/));
  await assert.rejects(ontologiesFromFlags(['o=missing.json'], dir), refused(/--ontology o=missing\.json/));
  await writeFile(path.join(dir, 'half.json'), '{"type": ');
  await assert.rejects(ontologiesFromFlags(['o=half.json'], dir), refused(/not JSON/));
  await writeFile(path.join(dir, 'list.json'), '[]');
  await assert.rejects(ontologiesFromFlags(['o=list.json'], dir), refused(/must be a JSON Schema/));
});

test('--ontology refuses files over the bound before reading them, and more ontologies than an agent may declare', async () => {
  await writeFile(path.join(dir, 'big.json'), ' '.repeat(ONTOLOGY_LIMITS.maxTotalBytes + 1));
  await assert.rejects(ontologiesFromFlags(['o=big.json'], dir), refused(/more than the 131072 bytes/));
  // Two files each under the bound, together over it.
  await writeFile(path.join(dir, 'half1.json'), `${' '.repeat(ONTOLOGY_LIMITS.maxTotalBytes / 2 + 10)}true`);
  await assert.rejects(ontologiesFromFlags(['a=half1.json', 'b=half1.json'], dir), refused(/more than the 131072 bytes/));
  const many = Array.from({ length: ONTOLOGY_LIMITS.maxOntologies + 1 }, (_, i) => `o${i}=any.json`);
  await assert.rejects(ontologiesFromFlags(many, dir), refused(/more than the 16 ontologies/));
});
