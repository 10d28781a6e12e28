// Two devices (browser contexts) of one author editing the same field: the later save conflicts.
import type { Browser, BrowserContext } from '@playwright/test';
import {
  createPlan,
  createUser,
  expect,
  expectSaved,
  openDevice,
  openSection,
  saveStatus,
  serverSection,
  test,
} from './fixtures.ts';

const FIELD = 'Why do you want to start this business?';

async function makeConflict(browser: Browser) {
  const user = await createUser();
  const planId = await createPlan(user);
  const laptop = await openDevice(browser, user);
  const phone = await openDevice(browser, user);
  const onLaptop = await openSection(laptop, planId);
  const onPhone = await openSection(phone, planId);

  await onLaptop.getByLabel(FIELD).fill('from the laptop');
  await expectSaved(onLaptop);
  await onPhone.getByLabel(FIELD).fill('from the phone');
  await expect(saveStatus(onPhone)).toHaveAttribute('data-state', 'conflict');
  const dialog = onPhone.getByRole('alertdialog');
  await expect(dialog).toBeVisible();
  return { user, planId, laptop, phone, onPhone, dialog };
}

async function close(...contexts: BrowserContext[]) {
  for (const c of contexts) await c.close();
}

test('the same field edited on two devices shows the conflict dialog with both values', async ({
  browser,
}) => {
  const { laptop, phone, dialog } = await makeConflict(browser);
  await expect(dialog).toContainText('from the laptop');
  await expect(dialog).toContainText('from the phone');
  await close(laptop, phone);
});

test('Refresh (Load Latest) takes the server values', async ({ browser }) => {
  const { user, planId, laptop, phone, onPhone, dialog } = await makeConflict(browser);
  await dialog.getByRole('button', { name: 'Refresh (Load Latest)' }).click();
  await expect(dialog).toBeHidden();
  await expectSaved(onPhone);
  await expect(onPhone.getByLabel(FIELD)).toHaveValue('from the laptop');
  expect((await serverSection(user, planId, 'section-one'))?.data.motivation).toBe(
    'from the laptop',
  );
  await close(laptop, phone);
});

test('Overwrite (Keep Mine) saves the author values over the server', async ({ browser }) => {
  const { user, planId, laptop, phone, onPhone, dialog } = await makeConflict(browser);
  await dialog.getByRole('button', { name: 'Overwrite (Keep Mine)' }).click();
  await expect(dialog).toBeHidden();
  await expectSaved(onPhone);
  await expect(onPhone.getByLabel(FIELD)).toHaveValue('from the phone');
  expect((await serverSection(user, planId, 'section-one'))?.data.motivation).toBe(
    'from the phone',
  );
  await close(laptop, phone);
});

test('Cancel keeps the author values unsaved and Review conflict reopens the dialog', async ({
  browser,
}) => {
  const { user, planId, laptop, phone, onPhone, dialog } = await makeConflict(browser);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(saveStatus(onPhone)).toHaveAttribute('data-state', 'conflict');
  await expect(onPhone.getByLabel(FIELD)).toHaveValue('from the phone');
  expect((await serverSection(user, planId, 'section-one'))?.data.motivation).toBe(
    'from the laptop',
  );
  await onPhone.getByRole('button', { name: 'Review conflict' }).click();
  await expect(onPhone.getByRole('alertdialog')).toBeVisible();
  await close(laptop, phone);
});

// docs/performance.md "Size": the dialog is its own chunk, fetched once the editor is idle, so a
// conflict that arrives after the app's files can no longer be fetched still opens.
test('the conflict dialog opens when its code can no longer be fetched after load', async ({
  browser,
}) => {
  const user = await createUser();
  const planId = await createPlan(user);
  const laptop = await openDevice(browser, user);
  const phone = await openDevice(browser, user);
  const onLaptop = await openSection(laptop, planId);
  const onPhone = await openSection(phone, planId);
  // The build names the chunk after its module (src/components/ConflictDialogView.tsx).
  await onPhone.waitForFunction(() =>
    performance.getEntriesByType('resource').some((e) => e.name.includes('ConflictDialogView')),
  );
  await onPhone.route('**/assets/**', (route) => route.abort('internetdisconnected'));

  await onLaptop.getByLabel(FIELD).fill('from the laptop');
  await expectSaved(onLaptop);
  await onPhone.getByLabel(FIELD).fill('from the phone');
  await expect(saveStatus(onPhone)).toHaveAttribute('data-state', 'conflict');
  const dialog = onPhone.getByRole('alertdialog');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('from the laptop');
  await expect(dialog.getByRole('button', { name: 'Refresh (Load Latest)' })).toBeEnabled();
  await close(laptop, phone);
});

// docs/performance.md "Size": if the dialog's code never arrived, the page says so loudly and
// keeps the author's text, rather than showing a blank page.
test('a conflict whose dialog code cannot be fetched shows an alert, not a blank page', async ({
  browser,
}) => {
  const user = await createUser();
  const planId = await createPlan(user);
  const laptop = await openDevice(browser, user);
  const phone = await openDevice(browser, user);
  const onLaptop = await openSection(laptop, planId);
  await phone.route('**/assets/ConflictDialogView*', (route) =>
    route.abort('internetdisconnected'),
  );
  const onPhone = await openSection(phone, planId);

  await onLaptop.getByLabel(FIELD).fill('from the laptop');
  await expectSaved(onLaptop);
  await onPhone.getByLabel(FIELD).fill('from the phone');
  await expect(saveStatus(onPhone)).toHaveAttribute('data-state', 'conflict');
  await expect(
    onPhone.getByRole('alert').filter({ hasText: 'dialog could not be loaded' }),
  ).toBeVisible();
  await expect(onPhone.getByLabel(FIELD)).toHaveValue('from the phone');
  await close(laptop, phone);
});
