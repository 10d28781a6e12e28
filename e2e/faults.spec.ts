// Every way a save can fail, on one device behind its own fault proxy (docs/durability.md):
// the edit stays on the device (saved-locally or error), and lands once the failure is over.
import { RETRY_BASE_MS, RETRY_MAX_MS } from '../worker/engine/constants.ts';
import { FIELD, onDevice } from './durability-fixtures.ts';
import {
  expect,
  expectSaved,
  revokeAccessTokens,
  saveStatus,
  serverSection,
  test,
} from './fixtures.ts';

test(
  'offline → saved-locally → online → saved',
  onDevice(async ({ page, proxy, user, planId }) => {
    proxy.setOffline(true);
    await page.getByLabel(FIELD).fill('typed offline');
    await expect(saveStatus(page)).toHaveAttribute('data-state', 'saved-locally');
    const back = Date.now();
    proxy.setOffline(false);
    await expectSaved(page);
    expect((await serverSection(user, planId, 'section-one'))?.data.motivation).toBe(
      'typed offline',
    );
    // The contract's 2 s, read from the proxy's log, not from how fast the page showed it: the
    // first attempt after the network came back is the next backoff retry, at most RETRY_MAX_MS
    // away (a loaded machine delays timers, hence the generous margin).
    const retry = proxy.saves().find((s) => s.at >= back);
    expect(retry?.status).toBe(200);
    expect(retry!.at - back).toBeLessThan(RETRY_MAX_MS + 3_000);
  }),
);

test(
  'a server failing with 500 is retried on the backoff schedule, then saved',
  onDevice(async ({ page, proxy, user, planId }) => {
    proxy.fail({ status: 500, count: 3 });
    await page.getByLabel(FIELD).fill('despite the 500s');
    await expect(saveStatus(page)).toHaveAttribute('data-state', 'saved-locally');
    await expectSaved(page);
    const saves = proxy.saves();
    expect(saves.map((s) => s.status)).toEqual([500, 500, 500, 200]);
    // Attempt n waits between half and all of min(RETRY_MAX_MS, RETRY_BASE_MS·2^(n−1)) (R10),
    // read from the proxy's arrival times. A timer never fires early, so the floor is tight
    // (less a little for the two clocks' rounding); a loaded machine only delays, so the ceiling
    // is generous — it still tells a retry on the schedule from one that waited for something else.
    for (let n = 1; n < saves.length; n++) {
      const waited = saves[n]!.at - saves[n - 1]!.at;
      const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (n - 1));
      expect(waited, `attempt ${n + 1}`).toBeGreaterThanOrEqual(ceiling / 2 - 20);
      expect(waited, `attempt ${n + 1}`).toBeLessThan(ceiling + 3_000);
    }
    expect((await serverSection(user, planId, 'section-one'))?.version).toBe(1);
  }),
);

test(
  'a 429 is retried no sooner than its Retry-After',
  onDevice(async ({ page, proxy }) => {
    proxy.fail({ status: 429, count: 1, retryAfter: 1 });
    await page.getByLabel(FIELD).fill('slowly');
    await expectSaved(page);
    const [first, second] = proxy.saves();
    expect(first?.status).toBe(429);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_000);
  }),
);

test(
  "the tab's online event retries at once, even inside a long Retry-After",
  onDevice(async ({ page, proxy, context }) => {
    proxy.fail({ status: 503, count: 1, retryAfter: 30 });
    await page.getByLabel(FIELD).fill('back online');
    await expect(saveStatus(page)).toHaveAttribute('data-state', 'saved-locally');
    // Playwright's offline switch doesn't reach the worker, but the page sees online again.
    await context.setOffline(true);
    await context.setOffline(false);
    await expectSaved(page);
    // At once, not after the Retry-After: the second attempt came well before the 30 s.
    const [refused, retried] = proxy.saves();
    expect([refused?.status, retried?.status]).toEqual([503, 200]);
    expect(retried!.at - refused!.at).toBeLessThan(20_000);
  }),
);

test(
  'an expired session is refreshed once and the edit saved',
  onDevice(async ({ page, proxy, user }) => {
    // The server's own revocation (docs/testing.md §10), not a 401 made up by the proxy.
    const refreshesBefore = proxy.auth.filter((a) => a.grantType === 'refresh_token').length;
    await revokeAccessTokens(user);
    await page.getByLabel(FIELD).fill('after a refresh');
    await expectSaved(page);
    const saves = proxy.saves();
    expect(saves.map((s) => s.status)).toEqual([401, 200]);
    // One refresh, answered with a new token, and the retry carried that token.
    const refreshes = proxy.auth.filter((a) => a.grantType === 'refresh_token');
    expect(refreshes.length - refreshesBefore).toBe(1);
    const refresh = refreshes.at(-1)!;
    expect(refresh.status).toBe(200);
    expect(refresh.issued).toBeDefined();
    expect(refresh.at).toBeGreaterThanOrEqual(saves[0]!.at);
    expect(saves[1]!.token).toBe(refresh.issued);
    expect(saves[1]!.token).not.toBe(saves[0]!.token);
  }),
);

test(
  'a session that stays refused shows "sign in again", keeps the edit, and signing in saves it',
  onDevice(async ({ page, proxy, user, planId, context }) => {
    proxy.fail({ status: 401, count: 2, message: 'The access token has expired.' });
    await page.getByLabel(FIELD).fill('kept while signed out');
    await expect(saveStatus(page)).toHaveAttribute('data-state', 'error');
    await expect(saveStatus(page)).toContainText('sign in again');
    await expect(page.getByLabel(FIELD)).toHaveValue('kept while signed out');
    // Signing in again (another tab) gives the worker a new token: the kept edit is saved.
    const login = await context.newPage();
    await login.goto('/login');
    await login.getByLabel('Email').fill(user.email);
    await login.getByLabel('Password').fill(user.password);
    await login.getByRole('button', { name: 'Sign in' }).click();
    await expectSaved(page);
    expect((await serverSection(user, planId, 'section-one'))?.data.motivation).toBe(
      'kept while signed out',
    );
  }),
);

test(
  'a refusal retrying cannot fix shows the server message and keeps the edit',
  onDevice(async ({ page, proxy }) => {
    proxy.fail({ status: 422, count: 1, message: 'The plan is archived; restore it to edit.' });
    await page.getByLabel(FIELD).fill('refused');
    await expect(saveStatus(page)).toHaveAttribute('data-state', 'error');
    await expect(saveStatus(page)).toContainText('The plan is archived; restore it to edit.');
    await expect(page.getByLabel(FIELD)).toHaveValue('refused');
    // R11: the next edit tries again.
    await page.getByLabel(FIELD).fill('refused, then accepted');
    await expectSaved(page);
  }),
);
