// Files: keeps notes under /data with the SDK's `files` (QuickJS has no file API: the SDK calls
// WASI itself, so the agent is built with "wasi": true), the agent's file system kept in its
// durable state (decision 2191). The same commands as examples/py-files, each request's content
// one command, each answer an inform: write, append, read, ls, mv, rm, fill, truncate, many N
// (writes N files in one handling) and unmany N (removes them),
// append-crash (logs the file, appends, then spins out of fuel: a crash mid-handling) and escape.
import { defineAgent, reply, log } from '@caxton/sdk-js';
import { files, FileError } from '@caxton/sdk-js/files';

const answerOf = (e) => {
  if (e instanceof FileError) return `error:${e.errno}`;
  throw e;
};

/** mkdir -p of the directories above the file `path`. */
function makeParents(path) {
  const parts = path.split('/').slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    try {
      files.mkdir(parts.slice(0, i).join('/'));
    } catch (e) {
      if (!(e instanceof FileError && e.code === 'exist')) throw e;
    }
  }
}

const tryOf = (fn) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return answerOf(e);
  }
};

function run(cmd, name, text) {
  switch (cmd) {
    case 'write':
      makeParents(name);
      files.writeFile(name, text);
      return 'ok';
    case 'append':
      files.appendFile(name, text);
      return 'ok';
    case 'read':
      return files.readFile(name);
    case 'ls':
      return files
        .readDir(name)
        .map((e) => (e.directory ? `${e.name}/` : e.name))
        .sort()
        .join(',');
    case 'mv':
      files.rename(name, text);
      return 'ok';
    case 'rm':
      files.unlink(name);
      return 'ok';
    case 'fill':
      files.writeFile(name, new Uint8Array(Number(text)).fill(0x78));
      return 'ok';
    case 'truncate':
      files.writeFile(name, '');
      return 'ok';
    case 'append-crash': {
      let before;
      try {
        before = files.readFile(name);
      } catch (e) {
        before = answerOf(e);
      }
      log('info', `before the crash ${name} holds: ${before}`);
      files.appendFile(name, text);
      // A crash, not a thrown error (that is a failure reply, which commits the append): QuickJS
      // cannot trap on purpose with WASI granted, so the handling spins until its fuel runs out.
      for (;;);
    }
    case 'many':
      // Many files opened in one handling: each handle is given back as it is done with.
      for (let i = 0; i < Number(name); i++) files.writeFile(`many-${i}.txt`, String(i));
      return 'ok';
    case 'unmany':
      for (let i = 0; i < Number(name); i++) files.unlink(`many-${i}.txt`);
      return 'ok';
    case 'escape':
      return [
        `up=${tryOf(() => files.readFile('../etc/passwd'))}`,
        `upup=${tryOf(() => files.readFile('a/../../../etc/passwd'))}`,
        `abs=${tryOf(() => files.readFile('/etc/passwd'))}`,
        `long=${tryOf(() => files.writeFile('n'.repeat(300), ''))}`,
        `huge=${tryOf(() => files.writeFile('n/'.repeat(50000), ''))}`,
      ].join(' ');
    default:
      return `unknown command ${cmd}`;
  }
}

export const guest = defineAgent({
  onMessage(msg) {
    const [cmd, name = '', ...rest] = (msg.content ?? '').split(' ');
    let answer;
    try {
      answer = run(cmd, name, rest.join(' '));
    } catch (e) {
      answer = answerOf(e);
    }
    reply(msg, 'inform', answer);
  },
});
