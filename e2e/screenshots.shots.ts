// The README's pictures (docs/images/), rendered from the real app: `npm run screenshots`.
// Not a test: it only waits for each screen to be in the state the picture shows.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { startFaultProxy } from './fault-proxy.ts';
import {
  BASE_URL,
  api,
  createPlan,
  createUser,
  expect,
  signIn,
  test,
  type User,
} from './fixtures.ts';

const OUT = join(process.cwd(), 'docs', 'images');
const VIEWPORT = { width: 1200, height: 780 };
/** Each of the two tabs side by side: wide enough for the two-column layout. */
const HALF = { width: 700, height: 820 };
const PLAN_TITLE = 'Bakery on the corner';
const FIELD = 'Why do you want to start this business?';

const REFLECTION = {
  motivation:
    'I have baked sourdough for friends for eight years, and every Saturday the queue at my door gets longer.',
  vision: 'Two shops in the old town and a wholesale round to ten cafés.',
  strengths: 'Ten years as a pastry chef; I know the suppliers and half the street.',
};

async function seed(user: User, planId: string, key: string, data: Record<string, unknown>) {
  const res = await api(user, `plan-sections/${key}`, {
    method: 'PUT',
    body: JSON.stringify({ planId, data, version: 0 }),
  });
  expect(res.status).toBe(200);
}

async function device(
  browser: import('@playwright/test').Browser,
  user: User,
  options: {
    baseURL?: string;
    viewport?: { width: number; height: number };
    debounceMs?: number;
  } = {},
) {
  const context = await browser.newContext({
    viewport: options.viewport ?? VIEWPORT,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    deviceScaleFactor: 1,
  });
  if (options.debounceMs)
    await context.addInitScript((ms) => {
      localStorage.setItem('mpfs-test-hooks', '1');
      localStorage.setItem('mpfs-test-debounce-ms', String(ms));
    }, options.debounceMs);
  const page = await context.newPage();
  await signIn(page, user);
  await page.close();
  return context;
}

async function section(context: BrowserContext, planId: string, key = 'section-one') {
  const page = await context.newPage();
  await page.goto(`/plans/${planId}/${key}`);
  await expect(page.locator('main').getByRole('textbox').first()).toBeVisible();
  return page;
}

/**
 * The editor's header shows the plan's title (loaded by its own request), as text or as an
 * editable field: either will do, so a reworked header still gets its picture.
 */
async function settled(page: Page, title = PLAN_TITLE) {
  await expect
    .poll(() =>
      page.evaluate(() =>
        [...document.querySelectorAll('header')]
          .map((h) =>
            [h.textContent ?? '', ...[...h.querySelectorAll('input')].map((i) => i.value)].join(
              ' ',
            ),
          )
          .join(' '),
      ),
    )
    .toContain(title);
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(OUT, `${name}.png`), animations: 'disabled', caret: 'hide' });

test.describe.configure({ mode: 'serial' });

test('screenshots', async ({ browser }) => {
  test.setTimeout(120_000);
  mkdirSync(OUT, { recursive: true });
  const user = await createUser();
  const planId = await createPlan(user, PLAN_TITLE);
  await createPlan(user, 'Bike repair van');
  await createPlan(user, 'Weekend language school');
  await seed(user, planId, 'section-one', REFLECTION);

  // Sign in.
  const anon = await browser.newContext({ viewport: VIEWPORT });
  const login = await anon.newPage();
  await login.goto('/login');
  await expect(login.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await shot(login, 'sign-in');
  await anon.close();

  // Plans, and a section.
  const laptop = await device(browser, user, { debounceMs: 60_000 });
  const plans = await laptop.newPage();
  await plans.goto('/plans');
  await expect(plans.getByRole('link', { name: PLAN_TITLE }).first()).toBeVisible();
  await shot(plans, 'plans');
  await plans.close();

  const page = await section(laptop, planId);
  await expect(page.getByLabel(FIELD)).toHaveValue(REFLECTION.motivation);
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved');
  await settled(page);
  await shot(page, 'section');

  // Two tabs side by side mid-sync: one types, the other shows it, the save not yet sent.
  const other = await section(laptop, planId, 'section-one');
  for (const p of [page, other]) await p.setViewportSize(HALF);
  const typed = 'Ten years as a pastry chef; I know the suppliers and half the street. And I';
  await page.getByLabel('What strengths do you bring?').fill(typed);
  await expect(other.getByLabel('What strengths do you bring?')).toHaveValue(typed);
  for (const p of [page, other]) await p.evaluate(() => window.scrollTo(0, 0));
  await expect(other.getByTestId('save-status')).toHaveAttribute('data-state', 'pending');
  const [left, right] = await Promise.all([
    page.screenshot({ animations: 'disabled', caret: 'hide' }),
    other.screenshot({ animations: 'disabled', caret: 'hide' }),
  ]);
  const board = await laptop.newPage();
  await board.setViewportSize({ width: HALF.width * 2 + 40, height: HALF.height + 20 });
  await board.setContent(
    `<body style="margin:0;background:#8a94a6;display:flex;gap:20px;padding:10px">` +
      [left, right]
        .map(
          (b) =>
            `<img alt="" width="${HALF.width}" src="data:image/png;base64,${b.toString('base64')}">`,
        )
        .join('') +
      `</body>`,
  );
  await board.waitForFunction(() => [...document.images].every((i) => i.complete));
  await shot(board, 'two-tabs');
  await board.close();
  await other.close();
  await page.close();
  await laptop.close();

  // Offline: the device's own proxy cut; the edit stays on the device.
  const proxy = await startFaultProxy(BASE_URL);
  try {
    const train = await device(browser, user, { baseURL: proxy.url });
    const offline = await section(train, planId, 'section-two');
    // The header's title comes through the proxy too: loaded before the cut.
    await settled(offline);
    proxy.setOffline(true);
    await offline.getByLabel('Business name').fill('Corner Crumb');
    await expect(offline.getByTestId('save-status')).toHaveAttribute(
      'data-state',
      'saved-locally',
      {
        timeout: 20_000,
      },
    );
    await shot(offline, 'offline');
    await train.close();
  } finally {
    await proxy.close();
  }

  // The conflict dialog: the same field changed on two devices.
  const a = await device(browser, user);
  const b = await device(browser, user);
  const onA = await section(a, planId);
  const onB = await section(b, planId);
  await onA.getByLabel(FIELD).fill('To bake the bread my grandmother baked.');
  await expect(onA.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', {
    timeout: 15_000,
  });
  await onB.getByLabel(FIELD).fill('Because the street has no bakery since 2019.');
  await expect(onB.getByRole('alertdialog')).toBeVisible({ timeout: 15_000 });
  await shot(onB, 'conflict');
  await a.close();
  await b.close();

  // Phone-sized, and the dark theme.
  const phone = await device(browser, user, { viewport: { width: 390, height: 844 } });
  const small = await section(phone, planId);
  await expect(small.getByTestId('save-status')).toHaveAttribute('data-state', 'saved');
  await settled(small);
  await shot(small, 'phone');
  await small.emulateMedia({ colorScheme: 'dark' });
  await shot(small, 'phone-dark');
  await phone.close();
});
