/**
 * The web console as a person uses it, in a real browser: headless Chromium from Debian driven by
 * puppeteer-core, against a real `caxton serve --http` running the main job's contract net. Each
 * test leaves a screenshot in test-artifacts/console/. With CAXTON_UPDATE_SCREENSHOTS=1 the sniffer
 * test also refreshes docs/images/sniffer.png, the README's picture.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'puppeteer-core';
import { builtExample, ROOT } from '../e2e/support/paths.js';
import { until } from '../e2e/support/wait.js';
import { downloadOf, launchBrowser, pageProblems, screenshot, type TestBrowser } from './support/browser.js';
import { CONTRACTORS, startConsoleNode, type ConsoleNode } from './support/console-node.js';

// The few DOM calls the page functions below make, typed here: they run in the browser, and the
// test project's lib has no DOM (adding it would clash with Node's fetch types elsewhere).
interface PageElement {
  getAttribute(name: string): string | null;
  textContent: string | null;
}
declare const document: { querySelectorAll(selector: string): ArrayLike<PageElement>; querySelector(selector: string): PageElement | null };
declare const location: { hash: string };

const AGENTS = ['broker', ...CONTRACTORS.map(([name]) => name)];
const local = (name: string): string => name.split('@')[0]!;

describe('the web console in a real browser', { timeout: 10 * 60_000 }, () => {
  let node: ConsoleNode;
  let chrome: TestBrowser;

  before(async () => {
    [node, chrome] = await Promise.all([startConsoleNode(), launchBrowser()]);
  });
  after(async () => {
    await chrome?.close();
    await node?.stop();
  });

  async function logIn(token: string): Promise<{ page: Page; problems: () => string }> {
    const page = await chrome.freshPage();
    const problems = pageProblems(page);
    await page.goto(node.url, { waitUntil: 'load' });
    await page.waitForSelector('#token');
    await page.type('#token', token);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="role"]', { timeout: 60_000 });
    return { page, problems };
  }

  /** Names in the agents table, once every one of `expected` is there. */
  async function tableNames(page: Page, expected: readonly string[]): Promise<string[]> {
    await page.waitForFunction(
      (want: string[]) => {
        const names = Array.from(document.querySelectorAll('[data-testid="agents-table"] tbody tr[data-agent]')).map(
          (r) => (r.getAttribute('data-agent') ?? '').split('@')[0],
        );
        return want.every((w) => names.includes(w));
      },
      { timeout: 60_000 },
      [...expected],
    );
    return page.$$eval('[data-testid="agents-table"] tbody tr[data-agent]', (rows) => rows.map((r) => r.getAttribute('data-agent') ?? ''));
  }

  it('without a token shows only the login page, and the API refuses', async () => {
    const page = await chrome.freshPage();
    await page.goto(`${node.url}#/sniffer`, { waitUntil: 'load' });
    await page.waitForSelector('#token');
    const text = await page.$eval('body', (b) => b.innerText);
    for (const name of AGENTS) assert.ok(!text.includes(name), `the login page shows no agent (${name})`);
    assert.equal(await page.$('nav'), null, 'no navigation before logging in');
    assert.equal(await page.$('[data-testid="agents-table"]'), null);
    const html = await (await fetch(node.url)).text();
    assert.ok(!/courier|broker/.test(html), 'the served page carries no data');
    const refused = await page.evaluate(async () => (await fetch('/api/agents')).status);
    assert.equal(refused, 401);
    const csp = (await fetch(node.url)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    await screenshot(page, '01-login');
  });

  it("logs in with the admin token and shows the main job's agents in the table, sortable and filterable", async () => {
    const { page, problems } = await logIn(node.adminToken);
    assert.equal(await page.$eval('[data-testid="role"]', (e) => e.textContent), 'admin');
    const names = await tableNames(page, AGENTS);
    assert.deepEqual(names.map(local).sort(), [...AGENTS].sort(), problems());
    // Each row shows the source language its deployment stated (from the example's build.json).
    const languages = await page.$$eval('[data-testid="agents-table"] tbody tr[data-agent]', (rows) =>
      rows.map((r) => [(r.getAttribute('data-agent') ?? '').split('@')[0], r.querySelector('td.col-language')?.textContent ?? '']),
    );
    assert.deepEqual(
      Object.fromEntries(languages),
      Object.fromEntries(AGENTS.map((a) => [a, a === 'broker' ? 'javascript' : 'assemblyscript'])),
    );
    // The table starts sorted by name, ascending: one click on the header reverses it.
    await page.click('th button[aria-label="Sort by Name"]');
    const sorted = await page.$$eval('[data-testid="agents-table"] tbody tr[data-agent]', (rows) =>
      rows.map((r) => r.getAttribute('data-agent') ?? ''),
    );
    assert.deepEqual(sorted.map(local), [...AGENTS].sort().reverse());
    // Rows are reachable from the keyboard: Enter on a focused row opens the agent.
    await page.$eval('tr[data-agent^="courier-b"]', (e) => (e as unknown as { focus(): void }).focus());
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid="agent-facts"]');
    assert.match(await page.evaluate(() => location.hash), /^#\/agents\/courier-b/);
    await page.goBack();
    await tableNames(page, AGENTS);
    await page.type('#agent-filter', 'courier-c');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="agents-table"] tbody tr[data-agent]').length === 1);
    await page.click('#agent-filter', { count: 3 });
    await page.keyboard.press('Backspace');
    await page.waitForSelector('[data-testid="deploy-form"]');
    // Deploy a sixth courier by uploading its component through the form.
    const file = await page.$('#deploy-file');
    await (file as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(
      builtExample('contract-net/as-contractor', 'cnet-contractor.wasm'),
    );
    await page.type('#deploy-name', 'courier-f');
    await page.type('#deploy-language', 'assemblyscript');
    await page.click('[data-testid="deploy-form"] button[type="submit"]');
    await page.waitForSelector('[data-testid="deploy-form"] p.ok', { timeout: 30_000 });
    await tableNames(page, [...AGENTS, 'courier-f']);
    assert.equal((await node.client.getAgent('courier-f')).language, 'assemblyscript', 'the form sent the language');
    await screenshot(page, '02-agents-admin');
    await node.client.stop('courier-f'); // the contract nets below are the main job's five couriers
    await page.close();
  });

  it('watches a contract net appear in the sniffer, in order, filters to it, opens a message and exports it', async () => {
    const { page, problems } = await logIn(node.adminToken);
    await page.goto(`${node.url}#/sniffer`);
    await page.waitForSelector('[data-testid="diagram"]');
    await page.waitForFunction(() => document.querySelector('.status')?.textContent === 'live', { timeout: 60_000 });
    await node.ask(1);
    const arrowsNow = async (): Promise<{ p: string; c: string; label: string }[]> =>
      page.$$eval('g.arrow', (gs) =>
        gs.map((g) => ({
          p: g.getAttribute('data-performative') ?? '',
          c: g.getAttribute('data-conversation') ?? '',
          label: g.getAttribute('aria-label') ?? '',
        })),
      );
    // The operator's request is conversation parcel-1; the broker runs its contract net as a
    // conversation of its own (the cfp's), and answers the operator when that net is done.
    const net = await until(
      async () => {
        const all = await arrowsNow();
        const conversation = all.find((x) => x.p === 'cfp')?.c;
        const done = all.some((x) => x.p === 'inform' && / to operator$/.test(x.label));
        return conversation && done ? { conversation, seen: all.filter((x) => x.c === conversation).map((x) => x.p) } : undefined;
      },
      `the contract net in the sniffer\n${problems()}`,
      30_000,
    );
    const { conversation, seen } = net;
    const first = (p: string): number => seen.indexOf(p);
    const last = (p: string): number => seen.lastIndexOf(p);
    for (const p of ['cfp', 'propose', 'refuse', 'accept-proposal', 'reject-proposal', 'inform'])
      assert.ok(first(p) >= 0, `${p} in ${seen.join(' ')}`);
    assert.equal(first('cfp'), 0, `the cfp comes first: ${seen.join(' ')}`);
    assert.ok(
      last('propose') < first('accept-proposal') &&
        last('propose') < first('reject-proposal') &&
        first('refuse') < first('accept-proposal'),
      `every answer before the award: ${seen.join(' ')}`,
    );
    assert.equal(last('inform'), seen.length - 1, `the winner's inform ends it: ${seen.join(' ')}`);
    assert.ok(first('accept-proposal') < last('inform') && last('reject-proposal') < last('inform'), `inform last: ${seen.join(' ')}`);
    assert.equal(seen.filter((p) => p === 'propose').length, 4, 'four couriers propose, courier-d refuses');
    assert.equal(seen.filter((p) => p === 'refuse').length, 1);
    await screenshot(page, '03-sniffer-live');

    // Pause: a second net runs, its messages wait (counted) and nothing new is drawn until resumed.
    await page.click('[data-testid="pause"]');
    await node.ask(2);
    await page.waitForFunction(() => /Resume \(\d+ waiting\)/.test(document.querySelector('[data-testid="pause"]')?.textContent ?? ''), {
      timeout: 20_000,
    });
    assert.equal(
      (await arrowsNow()).some((x) => x.p === 'cfp' && x.c !== conversation),
      false,
      'nothing new drawn while paused',
    );
    await page.click('[data-testid="pause"]');
    // Filter to one conversation: only the chosen one stays drawn.
    await until(
      async () => ((await arrowsNow()).some((x) => x.p === 'cfp' && x.c !== conversation) ? true : undefined),
      `the second contract net\n${problems()}`,
      30_000,
    );
    await page.select('[data-testid="filter-conversation"]', conversation);
    await until(
      async () => {
        const ps = await arrowsNow();
        return ps.length > 0 && ps.every((x) => x.c === conversation) && ps.some((x) => x.p === 'inform') ? ps : undefined;
      },
      `only ${conversation} after filtering\n${problems()}`,
      20_000,
    );
    const bands = await page.$$eval('g.band', (gs) => gs.map((g) => g.textContent ?? ''));
    assert.equal(bands.length, 1, `one conversation band: ${bands.join(' | ')}`);
    assert.match(bands[0]!, new RegExp(`conversation ${conversation}`));
    await screenshot(page, '04-sniffer-filtered');
    if (process.env['CAXTON_UPDATE_SCREENSHOTS'] === '1') {
      mkdirSync(path.join(ROOT, 'docs', 'images'), { recursive: true });
      copyFileSync(await screenshot(page, 'sniffer'), path.join(ROOT, 'docs', 'images', 'sniffer.png'));
    }

    // Open the cfp: the whole ACL message, JSON and FIPA string.
    await page.click('g.arrow[data-performative="cfp"]');
    await page.waitForSelector('[data-testid="message-view"]');
    const json = JSON.parse(await page.$eval('[data-testid="message-json"]', (e) => e.textContent ?? '')) as Record<string, unknown>;
    assert.equal(json['performative'], 'cfp');
    const fipa = await page.$eval('[data-testid="message-fipa"]', (e) => e.textContent ?? '');
    assert.match(fipa, /^\(cfp\b/);
    assert.match(fipa, /:sender/);
    await screenshot(page, '05-message');
    // The keyboard reaches the arrows too: focus one, press Enter.
    // (page.focus() takes HTML elements only; an SVG <g tabindex="0"> is focusable all the same.)
    await page.$eval('g.arrow[data-performative="accept-proposal"]', (e) => (e as unknown as { focus(): void }).focus());
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () => /^\(accept-proposal\b/.test(document.querySelector('[data-testid="message-fipa"]')?.textContent ?? ''),
      { timeout: 5_000 },
    );

    // Export as JSON lines: the download is the conversation's messages.
    const downloads = path.join(ROOT, 'test-artifacts', 'console', 'downloads');
    rmSync(downloads, { recursive: true, force: true });
    mkdirSync(downloads, { recursive: true });
    const cdp = await chrome.browser.target().createCDPSession();
    const browserContextId = page.browserContext().id;
    await cdp.send('Browser.setDownloadBehavior', {
      behavior: 'allow',
      downloadPath: downloads,
      eventsEnabled: true,
      ...(browserContextId ? { browserContextId } : {}),
    });
    const jsonl = await downloadOf(cdp, downloads, () => page.click('[data-testid="export-jsonl"]'));
    assert.equal(jsonl.name, `${conversation}.jsonl`);
    const lines = jsonl.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { conversationId: string; performative: string });
    assert.ok(lines.length >= 7 && lines.every((l) => l.conversationId === conversation), `${lines.length} lines of ${conversation}`);
    const svg = await downloadOf(cdp, downloads, () => page.click('[data-testid="export-svg"]'));
    assert.equal(svg.name, `${conversation}.svg`);
    assert.match(svg.text, /<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*accept-proposal/);

    // Narrow further to one agent: courier-d's part of that net is the cfp it got and its refusal.
    await page.select(
      '[data-testid="filter-agent"]',
      (await page.$$eval('[data-testid="filter-agent"] option', (os) => os.map((o) => (o as unknown as { value: string }).value))).find(
        (v) => local(v) === 'courier-d',
      )!,
    );
    const courierD = await until(
      async () => {
        const ps = await arrowsNow();
        return ps.length === 2 ? ps.map((x) => x.p) : undefined;
      },
      `courier-d's messages only\n${problems()}`,
      20_000,
    );
    assert.deepEqual(courierD, ['cfp', 'refuse']);
    await page.close();
  });

  it("replays a conversation on the node from the sniffer: each agent's handlings as steps, none differing", async () => {
    const { page, problems } = await logIn(node.adminToken);
    await page.goto(`${node.url}#/sniffer`);
    await page.waitForSelector('[data-testid="diagram"]');
    await page.waitForFunction(() => document.querySelector('.status')?.textContent === 'live', { timeout: 60_000 });
    // The conversations shown before asking, read before the ask: the answer (and the sniffer's
    // arrows) can arrive before the next line runs.
    const before = new Set(
      await page.$$eval('[data-testid="filter-conversation"] option', (os) => os.map((o) => o.getAttribute('value') ?? '')),
    );
    await node.ask(3);
    // The net of parcel 3: the cfp of a conversation the sniffer had not shown, ended by the broker's answer.
    const conversation = await until(
      async () => {
        const arrows = await page.$$eval('g.arrow', (gs) =>
          gs.map((g) => ({ p: g.getAttribute('data-performative') ?? '', c: g.getAttribute('data-conversation') ?? '' })),
        );
        const c = arrows.find((x) => x.p === 'cfp' && !before.has(x.c))?.c;
        return c !== undefined && arrows.some((x) => x.c === c && x.p === 'inform') ? c : undefined;
      },
      `a new contract net in the sniffer\n${problems()}`,
      60_000,
    );
    await page.select('[data-testid="filter-conversation"]', conversation);
    // The log holds a handling once its commit is durable, a moment after its message shows: replay
    // until the broker's last one (the winner's inform) is among the steps. Each replay loads the
    // conversation's agents' components in the node's own thread: a loaded machine takes a while.
    const steps = await until(
      async () => {
        // The button is disabled until the selected conversation's messages have loaded (and while a
        // replay runs): a click on it then does nothing, and no step view would ever show.
        await page.waitForSelector('[data-testid="replay"]:not([disabled])', { timeout: 60_000 });
        await page.click('[data-testid="replay"]');
        await page.waitForFunction(
          () => {
            const text = document.querySelector('[data-testid="replay-steps"]')?.textContent;
            return typeof text === 'string' && !text.includes('Replaying');
          },
          { timeout: 180_000 },
        );
        const all = await page.$$eval('[data-testid="replay-step"]', (ls) =>
          ls.map((l) => ({ agent: l.getAttribute('data-agent') ?? '', same: l.getAttribute('data-same'), text: l.textContent ?? '' })),
        );
        const broker = all.filter((x) => local(x.agent) === 'broker');
        return broker.some((x) => /in\s*inform from/.test(x.text)) ? all : undefined;
      },
      `the broker's handlings of ${conversation} replayed\n${problems()}`,
      240_000,
      500,
    );
    assert.ok(
      steps.every((x) => x.same === 'true'),
      `every step as recorded: ${steps
        .filter((x) => x.same !== 'true')
        .map((x) => x.text)
        .join(' | ')}`,
    );
    const of = (agent: string) => steps.filter((x) => local(x.agent) === agent);
    // The broker handled four proposals, a refusal and the winner's inform; each courier the cfp and its answer.
    assert.equal(of('broker').length, 6, steps.map((x) => `${x.agent}: ${x.text}`).join('\n'));
    for (const [courier] of CONTRACTORS)
      assert.ok(
        of(local(courier)).some((x) => /in\s*cfp from/.test(x.text)),
        `${courier}'s cfp`,
      );
    assert.match(of('broker').find((x) => /accept-proposal/.test(x.text))?.text ?? '', /sent\s*accept-proposal to/);
    await screenshot(page, '06-replay-steps');
    await page.close();
  });

  it('stops an agent from the UI and shows its new state', async () => {
    const { page, problems } = await logIn(node.adminToken);
    await page.goto(`${node.url}#/agents/courier-e`);
    await page.waitForSelector('[data-testid="agent-state"]');
    const before = await page.$eval('[data-testid="agent-state"]', (e) => e.textContent ?? '');
    assert.match(before, /running/i);
    await page.click('[data-testid="stop"]');
    await page
      .waitForFunction(() => /stopped/i.test(document.querySelector('[data-testid="agent-state"]')?.textContent ?? ''), { timeout: 60_000 })
      .catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${problems()}`);
      });
    await screenshot(page, '06-agent-stopped');
    // A stopped agent leaves the node: the node no longer lists it, nor does the live table.
    const agents = await node.client.listAgents();
    assert.equal(
      agents.find((a) => local(a.name) === 'courier-e' && a.state === 'running'),
      undefined,
      'the node stopped it',
    );
    await page.goto(`${node.url}#/agents`);
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('[data-testid="agents-table"] tbody tr[data-agent]')).every(
          (r) => !/^courier-e(@|$)/.test(r.getAttribute('data-agent') ?? ''),
        ),
      { timeout: 10_000 },
    );
    await page.close();
  });

  it('the read-only token sees no deploy or stop controls, config is redacted, and the server refuses its POSTs', async () => {
    const { page } = await logIn(node.readToken);
    assert.equal(await page.$eval('[data-testid="role"]', (e) => e.textContent), 'read');
    await tableNames(
      page,
      AGENTS.filter((a) => a !== 'courier-e'),
    ); // stopped by the test before
    assert.equal(await page.$('[data-testid="deploy-form"]'), null, 'no deploy form');
    await page.goto(`${node.url}#/agents/broker`);
    await page.waitForSelector('[data-testid="agent-state"]');
    assert.equal(await page.$('[data-testid="stop"]'), null, 'no stop button');
    assert.equal(await page.$('[data-testid="upgrade-form"]'), null, 'no upgrade form');
    await page.waitForSelector('[data-testid="agent-config"]');
    const config = await page.$eval('[data-testid="agent-config"]', (e) => e.textContent ?? '');
    assert.ok(!config.includes('sk-console-test'), 'the secret is not shown');
    assert.match(config, /api-key/);
    assert.match(config, /••••/);
    const statuses = await page.evaluate(async (token: string) => {
      const post = async (url: string): Promise<number> =>
        (await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: new Uint8Array([0, 97, 115, 109]) }))
          .status;
      return [await post('/api/agents/courier-a/stop'), await post('/api/agents?name=intruder'), await post('/api/agents/broker/upgrade')];
    }, node.readToken);
    assert.deepEqual(statuses, [403, 403, 403]);
    const courierA = (await node.client.listAgents()).find((a) => local(a.name) === 'courier-a');
    assert.match(String(courierA?.state), /running/i, 'courier-a still runs');
    await screenshot(page, '07-read-only');
    await page.close();
  });

  it('shows the node with its agents and sparklines', async () => {
    const { page } = await logIn(node.adminToken);
    await page.goto(`${node.url}#/nodes`);
    await page.waitForSelector('[data-testid="node"] svg polyline', { timeout: 60_000 });
    const text = await page.$eval('[data-testid="node"]', (e) => e.textContent ?? '');
    const running = (await node.client.listAgents()).length;
    assert.match(await page.$eval('[data-testid="node-summary"]', (e) => e.textContent ?? ''), new RegExp(`^${running} agents · log \\d`));
    assert.match(text, /Throughput/);
    await screenshot(page, '08-nodes');
    await page.close();
  });

  it("shows what conversations cost: a request's conversation with the broker's fuel, its agents on a click, sortable, and each agent's costs", async () => {
    const { page, problems } = await logIn(node.adminToken);
    await node.ask(61);
    await page.goto(`${node.url}#/costs`);
    await page.waitForSelector('[data-testid="conversation-costs"]');
    // The most recent first: the request just made is among them once its contract net ran.
    await page.click('button[aria-pressed]');
    await page.waitForFunction(
      () => {
        const row = document.querySelector('[data-testid="conversation-costs"] tr[data-conversation="parcel-61"]');
        const fuel =
          row === null
            ? undefined
            : document.querySelector('[data-testid="conversation-costs"] tr[data-conversation="parcel-61"] td.col-fuel');
        return fuel !== undefined && fuel !== null && (fuel.textContent ?? '0') !== '0';
      },
      { timeout: 60_000 },
    );
    const cells = await page.$eval('tr[data-conversation="parcel-61"]', (r) =>
      Array.from((r as unknown as { querySelectorAll(s: string): ArrayLike<PageElement> }).querySelectorAll('td')).map(
        (td) => td.textContent ?? '',
      ),
    );
    assert.ok(
      cells.some((c) => /broker/.test(c)),
      `the broker took part: ${cells.join(' | ')} ${problems()}`,
    );
    // Its agents, on a click: the broker's share burnt fuel.
    await page.click('tr[data-conversation="parcel-61"]');
    await page.waitForSelector('tr.share[data-share^="broker"]');
    const brokerFuel = await page.$eval('tr.share[data-share^="broker"] td.col-fuel', (e) => e.textContent ?? '');
    assert.match(brokerFuel, /^[1-9][\d.]*[kMG]?$/, `the broker's fuel in parcel-61: ${brokerFuel}`);
    // Sorted by another figure on a header's click; the node's total is under the table.
    await page.click('button[aria-label="Sort conversations by Bytes sent"]');
    await page.waitForSelector(
      '[data-testid="conversation-costs"] th[aria-sort="descending"] button[aria-label="Sort conversations by Bytes sent"]',
    );
    assert.match(await page.$eval('[data-testid="costs-total"]', (e) => e.textContent ?? ''), /^Node total/);
    // Each agent's costs, from the live stream: the broker and the couriers still running (a test above stopped one).
    await page.waitForFunction(
      () => {
        const names = Array.from(document.querySelectorAll('[data-testid="agent-costs"] tr[data-agent]')).map(
          (r) => (r.getAttribute('data-agent') ?? '').split('@')[0] ?? '',
        );
        return names.includes('broker') && names.filter((n) => n.startsWith('courier-')).length >= 3;
      },
      { timeout: 60_000 },
    );
    const brokerRow = await page.$eval('[data-testid="agent-costs"] tr[data-agent^="broker"] td.col-fuel', (e) => e.textContent ?? '');
    assert.match(brokerRow, /^[1-9]/);
    await screenshot(page, '10-costs');
    await page.close();
  });

  it('says on screen when the server samples the live stream', async () => {
    // A second node whose stream sends each browser 3 messages a second: one contract net (14
    // messages within a second) is more than that.
    const busy = await startConsoleNode({ budget: 3 });
    try {
      const page = await chrome.freshPage();
      await page.goto(busy.url, { waitUntil: 'load' });
      await page.waitForSelector('#token');
      await page.type('#token', busy.adminToken);
      await page.keyboard.press('Enter');
      await page.waitForSelector('[data-testid="role"]');
      await page.goto(`${busy.url}#/sniffer`);
      await page.waitForFunction(() => document.querySelector('.status')?.textContent === 'live', { timeout: 60_000 });
      await busy.ask(1);
      await page.waitForSelector('[data-testid="sampled"]', { timeout: 60_000 });
      const notice = await page.$eval('[data-testid="sampled"]', (e) => e.textContent ?? '');
      assert.match(notice, /showed \d+ and skipped [1-9]\d* messages/);
      await screenshot(page, '09-sampled');
      await page.close();
    } finally {
      await busy.stop();
    }
  });
});
