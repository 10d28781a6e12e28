import { Component, lazy, Suspense, type ReactNode } from 'react';
import type { ConflictDialogProps } from './ConflictDialogView.tsx';

// The dialog (and Radix) is its own chunk, fetched once the editor is idle rather than on first
// load; fetched before any conflict, so one that arrives offline still opens (docs/performance.md).
const load = () => import('./ConflictDialogView.tsx');
const View = lazy(() => load().then((m) => ({ default: m.ConflictDialogView })));

let preloaded = false;
/** Starts fetching the dialog's chunk when the browser is idle, once per page load. */
function preload() {
  if (preloaded || typeof window === 'undefined') return;
  preloaded = true;
  const go = () => void load().catch(() => (preloaded = false));
  if (window.requestIdleCallback) window.requestIdleCallback(go, { timeout: 2_000 });
  else window.setTimeout(go, 200);
}
preload();

/** Its chunk could not be fetched (offline before the idle preload ran): say so, keep the page. */
class LoadFailed extends Component<{ open: boolean; children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    if (!this.state.failed) return this.props.children;
    return this.props.open ? (
      <p role="alert" className="error">
        This section has a conflict, but its dialog could not be loaded. Your text is kept on this
        device: reconnect and reload the page to choose which values to keep.
      </p>
    ) : null;
  }
}

/** The conflict dialog (M7, M8); see ConflictDialogView.tsx. */
export function ConflictDialog(props: ConflictDialogProps) {
  return (
    <LoadFailed open={props.open}>
      <Suspense
        fallback={
          props.open ? (
            <p className="loading" role="status">
              Loading the conflict…
            </p>
          ) : null
        }
      >
        <View {...props} />
      </Suspense>
    </LoadFailed>
  );
}
