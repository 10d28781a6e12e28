import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { listPlans } from '../api.ts';
import { signOut } from '../session/sign-out.ts';

/** The plan's title from the plan list (the API has no single-plan read); null while unknown. */
function usePlanTitle(planId: string): string | null {
  const [title, setTitle] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    void listPlans().then((result) => {
      if (!alive || !result.ok) return;
      setTitle(result.value.find((p) => p.id === planId)?.title ?? null);
    });
    return () => {
      alive = false;
    };
  }, [planId]);
  return title;
}

/** Which plan this is, the way back to the list, and sign-out, on every section. */
export function EditorHeader({ planId }: { planId: string }) {
  const title = usePlanTitle(planId);
  return (
    <header className="editor-header">
      <Link to="/plans">All plans</Link>
      <p className="plan-title" data-testid="plan-title">
        {title ?? '\u00a0'}
      </p>
      <button type="button" className="link" onClick={() => void signOut()}>
        Sign out
      </button>
    </header>
  );
}
