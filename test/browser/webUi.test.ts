// The Temporal Web UI as an operator uses it after `npm start`, in a real Chromium: two
// emulated devices provisioned out of band, their runs in the list, a run page whose input,
// result, activity summaries and current details are decoded text (no "Codec Server could
// not connect" banner), and the Temporal CLI decoding the same history through the endpoint.
// AMTPROV_UI_SCREENSHOT=<file.png> also saves the run page (npm run screenshot).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { resolveTemporalCli } from '../../src/stack/temporalCli';
import { useTestDirectory } from '../support/ad';
import { launchChromium, startUiStack, type UiStack } from './support/uiStack';

const BANNER = 'Codec Server could not connect';
/** base64 of the codec's encoding name: what an undecoded payload shows. */
const CIPHERTEXT_MARK = Buffer.from('binary/encrypted').toString('base64');

/**
 * Polls what a person reads on the page until `check` passes; the UI loads and decodes
 * lazily. Frames included: the UI renders markdown (current details) in an iframe.
 */
async function waitForText(page: Page, what: string, check: (text: string) => boolean, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // innerText: what a person reads (document.body.innerText), per frame.
    const texts = await Promise.all(page.frames().map((frame) => frame.locator('body').innerText({ timeout: 1000 }).catch(() => '')));
    const text = texts.join('\n');
    if (check(text)) return text;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what} on ${page.url()}; the page reads:\n${text.slice(0, 4000)}`);
    await page.waitForTimeout(500);
  }
}

describe('the Temporal Web UI in Chromium', () => {
  const directory = useTestDirectory();
  let ui: UiStack | undefined;
  let browser: Browser | undefined;
  after(async () => {
    await browser?.close();
    await ui?.stop();
  });

  test('two provisioned devices: both runs listed; a run page shows decoded input, result, step summaries and current details', async (t) => {
    ui = await startUiStack({ t, directory, baseIp: '127.0.71.1', devices: 2 });
    const { stack, temporal, codec } = ui;
    const results = await Promise.all([stack.waitForResult(0), stack.waitForResult(1)]);
    assert.deepEqual(results.map((r) => r.outcome), ['Provisioned', 'Provisioned']);

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const codecCalls: string[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(codec.url)) codecCalls.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
    });
    page.on('requestfailed', (request) => {
      if (request.url().startsWith(codec.url)) codecCalls.push(`failed ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
    });

    // The columns the README tells operators to add (Configure Columns), as the UI keeps them in localStorage.
    // The UI's Codec Server settings as README tells operators to set them once per browser
    // (endpoint, "Include cross-origin credentials", "Use my browser setting"), kept in localStorage.
    const codecSettings = { endpoint: codec.url, includeCredentials: true, passAccessToken: false, overrideRemoteCodecConfiguration: true };
    await page.addInitScript({
      content: Object.entries(codecSettings).map(([key, value]) => `localStorage.setItem(${JSON.stringify(key)}, ${JSON.stringify(JSON.stringify(value))});`).join('\n'),
    });
    // Before the login the endpoint answers the page nothing.
    await page.goto(temporal.uiUrl, { waitUntil: 'networkidle' });
    const anonymous = await page.evaluate(async (url) => (await fetch(`${url}/decode`, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: '{"payloads":[]}' })).status, codec.url);
    assert.equal(anonymous, 401, 'no session, no decoding');
    // The operator opens the login URL npm start printed: a session cookie, then back to the UI.
    await page.goto(ui.codecLoginUrl, { waitUntil: 'networkidle' });
    assert.ok(page.url().startsWith(temporal.uiUrl), `the login sent the browser to the UI: ${page.url()}`);
    codecCalls.length = 0;

    const columns = ['Status', 'Workflow ID', 'AmtHostname', 'AmtStatus', 'ProvisioningStage', 'ProvisioningMode', 'Start', 'End'].map((label) => ({ label }));
    await page.addInitScript({
      content: `localStorage.setItem('namespace-workflow-table-columns', ${JSON.stringify(JSON.stringify({ [temporal.namespace]: columns }))});`,
    });
    await page.goto(`${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows`, { waitUntil: 'networkidle' });
    const list = await waitForText(page, 'both runs in the list, by host name', (text) =>
      results.every((r, i) => text.includes(stack.workflowId(i)) && text.includes(r.hostname)));
    assert.ok(/AmtHostname/.test(list) && /AmtStatus/.test(list), 'the search attribute columns are shown');

    // Open the first run as a person would: click its workflow id.
    await page.getByText(stack.workflowId(0), { exact: true }).first().click();
    await page.waitForLoadState('networkidle');
    const uuid = stack.uuids[0];
    const run = await waitForText(page, 'the decoded input, result and activity summaries', (text) =>
      text.includes(`"uuid": "${uuid}"`) && text.includes('"mode": "out-of-band"') && text.includes('"outcome": "Provisioned"') &&
      text.includes('phase1 • phase1: seed 7.1-7.6: first stage (EOI SOAP or WS-Man, by firmware)') &&
      text.includes('validateDevice') && text.includes('reportResult'));
    assert.ok(run.includes(`"hostname": "${results[0].hostname}"`), 'the result names the host');
    for (const summary of ['tls: seed 4.2', 'digest: seed 4.3', 'directory: seed 4.4', 'phase2: seed 8.1-8.4']) {
      assert.ok(run.includes(summary), `the timeline shows "${summary}"`);
    }
    // The local steps (validateDevice, reportResult, waited for above) are markers: UI 2.58 names them by activity type, without the summary.
    assert.ok(!run.includes(BANNER), `no "${BANNER}" banner`);
    assert.ok(!run.includes(CIPHERTEXT_MARK), 'no payload left encrypted');
    assert.ok(codecCalls.includes('200 POST /decode'), `the UI decoded through the endpoint: ${codecCalls.join(', ')}`);
    assert.deepEqual(codecCalls.filter((c) => !/^20\d /.test(c)), [], 'every codec call succeeded');
    const screenshot = process.env.AMTPROV_UI_SCREENSHOT;
    if (screenshot) await page.screenshot({ path: screenshot });

    // Current details (setCurrentDetails), rendered from markdown on the User Metadata tab.
    await page.goto(page.url().replace(/\/timeline(\?.*)?$/, '/user-metadata'), { waitUntil: 'networkidle' });
    await waitForText(page, 'the current details', (text) =>
      text.includes('Outcome Provisioned') && text.includes(`Device ${results[0].hostname} at 127.0.71.1 (out-of-band)`));
  });

  test('the Temporal CLI decodes the same history through the endpoint, prefix and trailing slash included', async () => {
    const { stack, temporal, codec, codecToken } = ui!;
    const cli = await resolveTemporalCli();
    /** The run's input as `temporal workflow show --output json` prints it: encoding and JSON value. */
    const input = async (...extra: string[]) => {
      const { stdout } = await run(cli.path, [
        'workflow', 'show', '--address', temporal.address, '--namespace', temporal.namespace, '--workflow-id', stack.workflowId(1), '--output', 'json', ...extra,
      ]);
      const started = (JSON.parse(stdout) as { events: { workflowExecutionStartedEventAttributes?: { input: { payloads: { metadata: Record<string, string>; data: string }[] } } }[] })
        .events[0].workflowExecutionStartedEventAttributes!.input.payloads[0];
      const encoding = Buffer.from(started.metadata.encoding, 'base64').toString();
      return { encoding, value: encoding === 'json/plain' ? JSON.parse(Buffer.from(started.data, 'base64').toString()) as { uuid: string; mode: string } : undefined };
    };
    assert.equal((await input()).encoding, 'binary/encrypted', 'without the endpoint the CLI shows ciphertext');
    // Refused (401), the CLI retries until its deadline.
    await assert.rejects(input('--codec-endpoint', codec.url, '--command-timeout', '3s'), /401|Unauthorized|deadline exceeded/i, 'without its token the CLI is refused');
    for (const endpoint of [codec.url, `${codec.url}/codec/`]) {
      const decoded = await input('--codec-endpoint', endpoint, '--codec-auth', `Bearer ${codecToken}`);
      assert.equal(decoded.encoding, 'json/plain', endpoint);
      assert.equal(decoded.value?.uuid, stack.uuids[1], endpoint);
      assert.equal(decoded.value?.mode, 'out-of-band', endpoint);
    }
  });
});

const run = promisify(execFile);
