/**
 * The single-page console's files, from the bundle directory the CLI resolved (the @caxton/console
 * package's dist/; the runtime never imports that package). Only files inside that directory are
 * served: the path is decoded once, `..`, NUL and backslashes are refused, and the resolved path is
 * checked to stay inside the (real) directory, so a symlink out of it serves nothing either.
 * Paths without an extension are the page's own routes and get index.html.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConsoleError } from './errors.js';

/** No inline script or style, nothing from elsewhere: the page talks only to this origin. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** Hashed asset names may be cached for long; index.html must not be. */
  immutable: boolean;
}

/** The file a URL path names inside `root`, relative; throws a typed refusal for hostile paths. */
export function staticPath(pathname: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    throw new ConsoleError('console.bad-request', 'the path is not valid percent-encoding', 'request the console at /');
  }
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').some((part) => part === '..')) {
    throw new ConsoleError('console.bad-request', 'the path leaves the console directory', 'request the console at /');
  }
  const relative = decoded.replace(/^\/+/, '');
  if (relative === '' || path.posix.extname(relative) === '') return 'index.html';
  return path.posix.normalize(relative);
}

export class StaticFiles {
  private realRoot: string | undefined;

  constructor(private readonly root: string | undefined) {}

  /** Undefined when there is no bundle (the caller shows how to build it) or no such file. */
  async read(pathname: string): Promise<StaticFile | undefined> {
    if (this.root === undefined) return undefined;
    const relative = staticPath(pathname);
    try {
      this.realRoot ??= await fs.realpath(this.root);
      const file = await fs.realpath(path.join(this.realRoot, relative));
      if (!file.startsWith(this.realRoot + path.sep)) {
        throw new ConsoleError('console.bad-request', 'the path leaves the console directory', 'request the console at /');
      }
      const body = await fs.readFile(file);
      const ext = path.extname(file).toLowerCase();
      return {
        body,
        contentType: TYPES[ext] ?? 'application/octet-stream',
        immutable: relative !== 'index.html' && /[.-][0-9A-Za-z]{8,}\.[a-z0-9]+$/.test(relative),
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw err;
    }
  }

  /** Whether a bundle directory with an index.html is there. */
  async present(): Promise<boolean> {
    return (await this.read('/')) !== undefined;
  }
}

/** What `/` shows when the bundle is missing: how to build it, and nothing about the node. */
export const MISSING_BUNDLE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Caxton console</title></head>
<body><h1>The console's page is not built</h1>
<p>The API under <code>/api/</code> works. To get the page, build the console package and restart the node:</p>
<pre>npm run build -w console</pre></body></html>
`;
