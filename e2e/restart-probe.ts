// The worker-restart figure of `npm run bench:engines`, run inside the page (Playwright's
// `evaluate`, WebDriver's `execute`): self-contained, since both send its source to the page.

/** terminate → this tab's connection answers with a new worker id, in ms. */
export async function restartInPage(): Promise<number> {
  const sync = (
    window as unknown as {
      __mpfsSync: { terminateWorker(): Promise<boolean>; workerId(): Promise<string | null> };
    }
  ).__mpfsSync;
  const before = await sync.workerId();
  const start = performance.now();
  await sync.terminateWorker();
  for (;;) {
    const now = await sync.workerId();
    if (now && now !== before) return performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
