/**
 * Preloaded with `--import` (NODE_OPTIONS) into a `caxton` process by startup-imports.test.ts:
 * appends to the file named by CAXTON_TEST_IMPORT_LOG every module the process loads — each ESM
 * resolution, seen by a module.register() resolve hook (record-imports-hooks.ts), and at exit
 * every CommonJS module in the require cache (packages like grpc-js or kafkajs load their own
 * files with require(), which the ESM hook does not see). One URL or path per line.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.CAXTON_TEST_IMPORT_LOG;
if (file) {
  register(new URL('./record-imports-hooks.js', import.meta.url), { data: { file } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    const loaded = Object.keys(require.cache);
    if (loaded.length > 0) appendFileSync(file, `${loaded.join('\n')}\n`);
  });
}
