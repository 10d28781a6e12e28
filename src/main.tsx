import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { detectFeatures, missingFeatures, unsupportedPage } from './browser-support.ts';
import { startSessionLink } from './session/session-link.ts';
import { startRevokeSender } from './session/sign-out.ts';
import { onlyInMemoryCounts } from './stores/section-store.ts';
import { needsUnloadPrompt } from './stores/unload-prompt.ts';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html must have an element with id "root"');
(window as unknown as { __mpfsBooted?: boolean }).__mpfsBooted = true;
const missing = missingFeatures(detectFeatures());
if (missing.length > 0) unsupportedPage(root, missing);
else {
  // Before any page: the worker hears of every sign-in and sign-out, and pending sign-outs go out.
  startSessionLink();
  startRevokeSender();
  // B1: ask before leaving only while an edit is in this tab's memory alone.
  window.addEventListener('beforeunload', (event) => {
    if (needsUnloadPrompt(onlyInMemoryCounts())) event.preventDefault();
  });
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
