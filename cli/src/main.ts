/** Process entry of `caxton` (see bin/caxton.js). */
import { run } from './app.js';
import { processIo } from './io.js';

process.exitCode = await run(process.argv.slice(2), processIo());
