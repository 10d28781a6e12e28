// A browser the editor can't run in gets a page that says so and what to use instead.
import { expect, test } from './fixtures.ts';

test('no IndexedDB and no worker: a clear page instead of a blank one', async ({ page }) => {
  await page.addInitScript(() => {
    for (const name of ['SharedWorker', 'Worker', 'indexedDB'])
      Object.defineProperty(window, name, { value: undefined, configurable: true });
  });
  await page.goto('/login');
  const alert = page.getByTestId('unsupported-browser');
  await expect(alert).toContainText('This browser can’t run myplanforsuccess');
  await expect(alert).toContainText('SharedWorker or Worker');
  await expect(alert).toContainText('IndexedDB');
  await expect(alert).toContainText('Firefox 128+');
});
