// Which browsers can run the editor: the features the sync layer can't do without (docs/single-writer.md).
// A browser missing one gets a page saying so instead of a blank one.

/** What the page found in this browser (plain data, so the decision is testable anywhere). */
export interface BrowserFeatures {
  sharedWorker: boolean;
  worker: boolean;
  broadcastChannel: boolean;
  webLocks: boolean;
  indexedDB: boolean;
}

/** The features missing, by the name a user can look up; empty when the editor can run. */
export function missingFeatures(found: BrowserFeatures): string[] {
  const missing: string[] = [];
  // One writer per profile: a SharedWorker, or a dedicated worker in a leader tab plus a bus.
  if (!found.sharedWorker && !(found.worker && found.broadcastChannel))
    missing.push(found.worker ? 'SharedWorker or BroadcastChannel' : 'SharedWorker or Worker');
  if (!found.webLocks) missing.push('Web Locks (navigator.locks)');
  if (!found.indexedDB) missing.push('IndexedDB');
  return missing;
}

export function detectFeatures(scope: typeof globalThis = globalThis): BrowserFeatures {
  let indexedDB = false;
  try {
    // Firefox's private windows of old versions threw on access.
    indexedDB = typeof scope.indexedDB !== 'undefined' && scope.indexedDB !== null;
  } catch {
    indexedDB = false;
  }
  return {
    sharedWorker: typeof scope.SharedWorker !== 'undefined',
    worker: typeof scope.Worker !== 'undefined',
    broadcastChannel: typeof scope.BroadcastChannel !== 'undefined',
    webLocks: typeof scope.navigator !== 'undefined' && !!scope.navigator.locks,
    indexedDB,
  };
}

export const SUPPORTED_BROWSERS = 'Chrome or Edge 111+, Firefox 128+, or Safari 16.4+';

/** The page shown instead of the editor. */
export function unsupportedPage(root: HTMLElement, missing: string[]): void {
  const main = document.createElement('main');
  main.setAttribute('role', 'alert');
  main.dataset.testid = 'unsupported-browser';
  const title = document.createElement('h1');
  title.textContent = 'This browser can’t run myplanforsuccess';
  const why = document.createElement('p');
  why.textContent = `It lacks ${missing.join(', ')}, which the editor needs to keep your tabs in step and your edits safe on this device.`;
  const what = document.createElement('p');
  what.textContent = `Open this page in ${SUPPORTED_BROWSERS} (outside private browsing if your browser turns storage off there).`;
  main.append(title, why, what);
  root.replaceChildren(main);
}
