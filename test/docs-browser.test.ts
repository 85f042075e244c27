import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { startParley, type RunningParley } from './helpers/parley.js';

const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
const missing = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`;
if (missing !== false && process.env.PARLEY_REQUIRE_SERVICES === '1') throw new Error(`${missing}, and PARLEY_REQUIRE_SERVICES=1`);
if (missing !== false) console.log(`# skipping browser tests: ${missing}`);

describe('API documentation pages in a real browser', { skip: missing }, () => {
  let server: RunningParley;
  let browser: Browser;
  let profile: string;

  before(async () => {
    server = await startParley({ API_KEYS: 'docs-key' });
    // Playwright gives every launch a fresh, empty profile; screenshots go here.
    profile = mkdtempSync(join(tmpdir(), 'parley-chromium-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // The machine has no network: without these Chromium keeps dialling out.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => {
    await browser.close();
    await server.stop();
    rmSync(profile, { recursive: true, force: true });
  });

  /** Opens a page and records what the console and CSP complain about. */
  async function open(path: string) {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(server.url + path);
    return { page, problems };
  }

  test('/docs renders Swagger UI with every tag of the API, without a key and without CSP errors', async () => {
    const { page, problems } = await open('/docs');
    await page.waitForSelector('.opblock-tag', { timeout: 20_000 });
    const tags = await page.locator('.opblock-tag').allTextContents();
    for (const tag of ['openai', 'conversations', 'tasks', 'operations']) assert.ok(tags.some((text) => text.includes(tag)), `${tag} in ${tags.join(', ')}`);
    assert.ok((await page.locator('.opblock').count()) > 30, 'operations are listed');
    assert.deepEqual(problems.filter((text) => /Content Security Policy|Refused/.test(text)), []);
    await page.screenshot({ path: join(profile, 'docs.png') });
  });

  test('/redoc renders the same document with Redoc served by Parley itself', async () => {
    const { page, problems } = await open('/redoc');
    await page.locator('h2', { hasText: 'Create a chat completion (OpenAI-compatible)' }).waitFor({ timeout: 20_000 });
    assert.match(await page.title(), /Parley/i);
    assert.deepEqual(problems.filter((text) => /Content Security Policy|Refused/.test(text)), []);
  });
});
