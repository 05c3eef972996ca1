/**
 * Headless Chromium for the console's tests: Debian's package unpacked by scripts/infra
 * (chromium.mjs), driven by puppeteer-core, a fresh profile in a temp dir per launch, 1280×800 (the
 * size the console must be readable at). Screenshots go to test-artifacts/console/ (gitignored).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type * as Infra from '../../../scripts/infra/index.d.mts';
import { ROOT } from '../../e2e/support/paths.js';

const infra = (): Promise<typeof Infra> => import(new URL('../../../../scripts/infra/index.mjs', import.meta.url).href) as Promise<typeof Infra>;

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
  page.on('console', (m) => { if (m.type() === 'error') lines.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => lines.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
  return () => lines.join('\n');
}
