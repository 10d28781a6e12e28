// A paste over one field's size limit is refused at the field, with the limit in words, and the
// rest of the section keeps saving (the limit: MAX_FIELD_BYTES in the shared schema).
import {
  createPlan,
  createUser,
  expect,
  expectSaved,
  openDevice,
  openSection,
  serverSection,
  test,
} from './fixtures.ts';

const MOTIVATION = 'Why do you want to start this business?';
const VISION = 'Where do you see the business in five years?';

test('a 1.1 MB paste is refused at the field and the other fields keep saving', async ({
  browser,
}) => {
  const user = await createUser();
  const planId = await createPlan(user);
  const device = await openDevice(browser, user);
  const page = await openSection(device, planId);
  await page.getByLabel(MOTIVATION).fill('before the paste');
  await expectSaved(page);

  await page.getByLabel(VISION).focus();
  await page.keyboard.insertText('y'.repeat(1_100_000));
  await page.getByLabel(MOTIVATION).fill('after the paste');
  await expectSaved(page);
  await expect
    .poll(async () => (await serverSection(user, planId, 'section-one'))?.data.motivation)
    .toBe('after the paste');

  const field = page.locator('.field', { has: page.getByLabel(VISION) });
  await expect(field.getByRole('alert')).toContainText('at most 131,072 bytes');
  await expect(field.getByRole('alert')).toContainText('it is 1.1 MB');
  await expect(page.getByLabel(VISION)).toHaveValue('');
  expect((await serverSection(user, planId, 'section-one'))?.data.vision).toBeUndefined();
  await device.close();
});
