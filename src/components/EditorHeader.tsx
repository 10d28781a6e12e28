import { Link } from 'react-router-dom';
import { usePlans } from '../plans/use-plans.ts';
import { signOut } from '../session/sign-out.ts';

/**
 * Which plan this is, the way back to the list, and sign-out, on every section. The title follows
 * a rename in another tab at once and one on another device when this tab comes back (use-plans).
 */
export function EditorHeader({ planId }: { planId: string }) {
  const { plans, deleted } = usePlans();
  const title = plans?.find((p) => p.id === planId)?.title ?? null;
  return (
    <header className="editor-header">
      <Link to="/plans">All plans</Link>
      <p className="plan-title" data-testid="plan-title">
        {title ?? '\u00a0'}
      </p>
      <button type="button" className="link" onClick={() => void signOut()}>
        Sign out
      </button>
      {/* U7: the worker ends the sections too; this says it as soon as the list shows it. */}
      {deleted.has(planId) && (
        <p role="alert" className="error">
          This plan was deleted (in another tab or on another device), with all its sections.
          Nothing more can be saved to it. Go back to <Link to="/plans">your plans</Link>.
        </p>
      )}
    </header>
  );
}
