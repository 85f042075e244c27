import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PLAYGROUND_BUNDLE_DIR } from '../src/http/surfaces/playground/routes.js';
import { spawnMockUpstream, type MockUpstreamProcess } from './helpers/mock-upstream-process.js';
import { requestJson, startParley, type RunningParley } from './helpers/parley.js';

const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Screenshots for people to look at; the directory is gitignored. */
const ARTIFACTS = join(ROOT, 'test-artifacts');
const missing = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`;
if (missing !== false && process.env.PARLEY_REQUIRE_SERVICES === '1') throw new Error(`${missing}, and PARLEY_REQUIRE_SERVICES=1`);
if (missing !== false) console.log(`# skipping playground browser tests: ${missing}`);

const KEY = 'playground-key';

describe('playground in a real browser (useChat over /ai-sdk/chat)', { skip: missing }, () => {
  let server: RunningParley;
  let browser: Browser;
  let profile: string;
  let page: Page;
  let upstream: MockUpstreamProcess | undefined;
  const problems: string[] = [];

  before(async () => {
    // Tests run from source; the page needs the bundle that `npm run build` makes.
    if (!existsSync(join(PLAYGROUND_BUNDLE_DIR, 'playground.js'))) execFileSync('npm', ['run', 'build:playground'], { cwd: ROOT, stdio: 'ignore' });
    // Slow enough that a reload lands mid-answer.
    // A real provider beside the built-in mock (which answers any model id), so an unknown model is a provider's 404.
    upstream = await spawnMockUpstream([]);
    server = await startParley({
      API_KEYS: KEY,
      PARLEY_MOCK_CHUNK_DELAY_MS: '60',
      PARLEY_PROVIDER_BASE_URL: upstream.url,
      PARLEY_PROVIDER_NAME: 'upstream',
      PARLEY_DEFAULT_PROVIDER: 'mock',
      PARLEY_UPSTREAM_RETRIES: '0',
    });
    profile = mkdtempSync(join(tmpdir(), 'parley-chromium-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await upstream?.stop();
    rmSync(profile, { recursive: true, force: true });
  });

  const assistant = () => page.locator('li.message.assistant').last();
  const storedAnswer = async (chatId: string) => {
    const history = await requestJson(`${server.url}/ai-sdk/chat/${chatId}/messages`, { headers: { 'x-api-key': KEY } });
    return history.body.messages.at(-1) as { id: string; parts: { type: string; text?: string }[]; metadata: { status: string; siblings: string[] } };
  };
  const chatIdOfPage = async () => decodeURIComponent(new URL(page.url()).hash.slice(1));

  test('GET / links the playground for browsers and stays JSON for API clients', async () => {
    const html = await fetch(`${server.url}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'x-api-key': KEY } });
    assert.match(html.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await html.text(), /<a href="\/playground">/);
    const json = await requestJson(`${server.url}/`, { headers: { accept: '*/*', 'x-api-key': KEY } });
    assert.equal(json.body.status, 'online');
    const response = await fetch(`${server.url}/playground`);
    assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'self';/);
  });

  test('asks for the API key, keeps it, lists the models and streams reasoning apart from the answer', async () => {
    await page.goto(`${server.url}/playground`);
    await page.getByRole('alert').filter({ hasText: 'needs an API key' }).first().waitFor();
    await page.locator('input[name="api-key"]').fill(KEY);
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.locator('select[name="model"] option[value="mock-reasoner"]').waitFor({ state: 'attached' });
    assert.equal(await page.evaluate("localStorage.getItem('parley.apiKey')"), KEY);
    await page.locator('select[name="model"]').selectOption('mock-reasoner');
    await page.locator('textarea[name="message"]').fill('Hello from the browser');
    await page.getByRole('button', { name: 'Send' }).click();
    await assistant().locator('.reasoning-text').filter({ hasText: /\S/ }).waitFor();
    await assistant().locator('.answer-text').filter({ hasText: 'Mock reply to "Hello from the browser"' }).waitFor({ timeout: 20_000 });
    await assistant().locator('.usage').waitFor({ timeout: 20_000 });
    await assistant().locator('.ttft').waitFor();
    assert.match((await assistant().locator('.ttft').textContent()) ?? '', /^first token \d+ ms$/);
    assert.match((await assistant().locator('.usage').textContent()) ?? '', /^\d+ in \/ \d+ out \(12 reasoning\)$/);
    await page.locator('.conversations button.current').filter({ hasText: 'Hello from the browser' }).waitFor();
    const stored = await storedAnswer(await chatIdOfPage());
    assert.equal(stored.metadata.status, 'complete');
    assert.equal(await assistant().locator('.answer-text').textContent(), stored.parts.find((part) => part.type === 'text')?.text);
    assert.equal(await assistant().locator('.reasoning-text').textContent(), stored.parts.find((part) => part.type === 'reasoning')?.text);
  });

  test('a reload mid-answer resumes the answer and follows it to the end', async () => {
    await page.locator('textarea[name="message"]').fill('Keep going after a reload');
    await page.getByRole('button', { name: 'Send' }).click();
    await assistant().locator('.answer-text').filter({ hasText: /Mock reply/ }).waitFor();
    const chatId = await chatIdOfPage();
    const midway = await storedAnswer(chatId);
    assert.equal(midway.metadata.status, 'streaming', 'the reload comes mid-answer');
    await page.reload();
    // Without the resume, the page would keep the partial text stored at reload time, and no usage.
    await page.locator('section.chat[data-status="ready"]').waitFor({ timeout: 20_000 });
    await assistant().locator('.usage').waitFor({ timeout: 20_000 });
    const stored = await storedAnswer(chatId);
    assert.equal(stored.id, midway.id, 'the same answer, not a new one');
    assert.equal(stored.metadata.status, 'complete');
    assert.equal(await assistant().locator('.answer-text').textContent(), stored.parts.find((part) => part.type === 'text')?.text);
    assert.equal(await page.locator('li.message').count(), 4);
  });

  test('stop ends the answer on the server; regenerate adds a sibling; the arrows switch between them', async () => {
    await page.locator('textarea[name="message"]').fill('Stop this one');
    await page.getByRole('button', { name: 'Send' }).click();
    await assistant().locator('.reasoning-text').filter({ hasText: /\S/ }).waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await assistant().locator('.status').filter({ hasText: 'cancelled' }).waitFor({ timeout: 10_000 });
    const chatId = await chatIdOfPage();
    const stopped = await storedAnswer(chatId);
    assert.equal(stopped.metadata.status, 'cancelled');

    await page.locator('select[name="model"]').selectOption('mock-model');
    await assistant().getByRole('button', { name: 'Regenerate' }).click();
    await assistant().locator('.siblings-label').filter({ hasText: '2/2' }).waitFor({ timeout: 20_000 });
    const regenerated = await storedAnswer(chatId);
    assert.deepEqual(regenerated.metadata.siblings, [stopped.id, regenerated.id]);
    assert.equal(await assistant().locator('.answer-text').textContent(), regenerated.parts.find((part) => part.type === 'text')?.text);

    await assistant().getByRole('button', { name: '‹' }).click();
    await assistant().locator('.siblings-label').filter({ hasText: '1/2' }).waitFor();
    assert.equal(await assistant().getAttribute('data-message-id'), stopped.id);
    assert.equal((await storedAnswer(chatId)).id, stopped.id, 'the switch is stored: the next message continues from it');
    await page.screenshot({ path: join(ARTIFACTS, 'playground.png'), fullPage: true });
  });

  test('the conversation list shows the chat, a new chat starts empty, errors are shown in the page; no CSP violations', async () => {
    await page.locator('.conversations button.current').waitFor();
    await page.getByRole('button', { name: 'New chat' }).click();
    await page.locator('li.message').first().waitFor({ state: 'detached' });
    // A model the server does not have (as from a stale list): the request leaves the page naming it.
    await page.route('**/ai-sdk/chat', (route) => route.continue({ postData: JSON.stringify({ ...route.request().postDataJSON(), model: 'upstream:no-such-model' }) }));
    await page.locator('textarea[name="message"]').fill('Which model?');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('alert').filter({ hasText: 'Model not found' }).first().waitFor();
    assert.deepEqual(problems.filter((text) => /Content Security Policy|Refused/.test(text)), []);
  });
});
