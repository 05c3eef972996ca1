/**
 * Headless Chromium for the console's tests: Debian's package unpacked by scripts/infra
 * (chromium.mjs), driven by puppeteer-core, a fresh profile in a temp dir per launch, 1280×800 (the
 * size the console must be readable at). Screenshots go to test-artifacts/console/ (gitignored).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type CDPSession, type Page } from 'puppeteer-core';
import type * as Infra from '../../../scripts/infra/index.d.mts';
import { ROOT } from '../../e2e/support/paths.js';

const infra = (): Promise<typeof Infra> =>
  import(new URL('../../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<typeof Infra>;

export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'console');
export const VIEWPORT = { width: 1280, height: 800 };

export interface TestBrowser {
  browser: Browser;
  /** A page in a fresh incognito-like context: its own sessionStorage, no token. */
  freshPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const { installChromium, CHROMIUM_FLAGS } = await infra();
  const chromium = await installChromium();
  const profile = mkdtempSync(path.join(tmpdir(), 'caxton-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: chromium.executablePath,
    env: { ...process.env, ...chromium.env },
    args: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, `--window-size=${VIEWPORT.width},${VIEWPORT.height}`],
    headless: true,
    defaultViewport: VIEWPORT,
  });
  return {
    browser,
    async freshPage() {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport(VIEWPORT);
      return page;
    },
    async close() {
      await browser.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Save what the page shows now as test-artifacts/console/<name>.png; returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file as `${string}.png` });
  return file;
}

/** Collects the page's console errors and failed requests, to print when an assertion fails. */
export function pageProblems(page: Page): () => string {
  const lines: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') lines.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => lines.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
  return () => lines.join('\n');
}

/** A file the page downloaded: the name Chromium saved it under and its text. */
export interface Download {
  name: string;
  text: string;
}

/**
 * Runs `start` (the click that begins a download) and resolves once Chromium reports the download
 * complete. A file's existence is not enough: Chromium creates it before it has written it (stop
 * 48's CI read an exported SVG as ''). `cdp` is a browser-level session whose download behaviour is
 * `allow` into `dir` with events enabled.
 */
export async function downloadOf(cdp: CDPSession, dir: string, start: () => Promise<void>, timeoutMs = 10_000): Promise<Download> {
  const names = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  const onBegin = (e: { guid: string; suggestedFilename: string }): void => {
    names.set(e.guid, e.suggestedFilename);
  };
  let onProgress: (e: { guid: string; state: string }) => void = () => undefined;
  const completed = new Promise<string>((resolve, reject) => {
    onProgress = (e) => {
      if (e.state === 'completed') resolve(e.guid);
      else if (e.state === 'canceled') reject(new Error(`the download ${names.get(e.guid) ?? e.guid} was canceled`));
    };
    timer = setTimeout(
      () => reject(new Error(`no download completed within ${timeoutMs} ms (begun: ${[...names.values()].join(', ') || 'none'})`)),
      timeoutMs,
    );
  });
  cdp.on('Browser.downloadWillBegin', onBegin);
  cdp.on('Browser.downloadProgress', onProgress);
  try {
    await start();
    const guid = await completed;
    const name = names.get(guid);
    if (name === undefined) throw new Error(`download ${guid} completed without a downloadWillBegin event`);
    return { name, text: readFileSync(path.join(dir, name), 'utf8') };
  } finally {
    clearTimeout(timer);
    cdp.off('Browser.downloadWillBegin', onBegin);
    cdp.off('Browser.downloadProgress', onProgress);
  }
}
