import { useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { LIMITS } from '../../supabase/functions/_shared/schema.ts';
import { createPlan } from '../api.ts';
import { PlanItem } from '../plans/PlanItem.tsx';
import { usePlans } from '../plans/use-plans.ts';
import { signOut } from '../session/sign-out.ts';

export function PlansPage() {
  const navigate = useNavigate();
  const { plans, error: listError, tell } = usePlans();
  const [error, setError] = useState<string | null>(null);
  const [title, setTitle] = useState('');
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setCreating(true);
    setError(null);
    const result = await createPlan(title.trim() || 'Untitled plan');
    setCreating(false);
    if (!result.ok) return setError(result.message);
    tell({ type: 'saved', plan: result.value });
    void navigate(`/plans/${result.value.id}/section-one`);
  };

  const problem = error ?? listError;
  return (
    <main className="plans">
      <header>
        <h1 ref={heading} tabIndex={-1}>
          Your plans
        </h1>
        <span className="actions">
          <button type="button" className="link" onClick={() => void signOut()}>
            Sign out
          </button>
          {/* Behind a disclosure: one "Sign out" button on the page, for the common case. */}
          <details className="account">
            <summary>Account</summary>
            <p className="help">Signed in on another computer too? End every session at once.</p>
            <button
              type="button"
              className="link"
              onClick={() => void signOut({ everywhere: true })}
            >
              Sign out everywhere
            </button>
          </details>
        </span>
      </header>
      <form onSubmit={(e) => void create(e)} className="new-plan">
        <label>
          Plan title
          <input
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            maxLength={LIMITS.maxTitleLength}
          />
        </label>
        <button type="submit" disabled={creating}>
          {creating ? 'Creating…' : 'New plan'}
        </button>
      </form>
      <p role="status" className="help">
        {notice}
      </p>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      {plans === null && !problem && <p className="loading">Loading your plans…</p>}
      {plans && plans.length === 0 && (
        <section className="empty-state" aria-label="No plans yet">
          <h2>Start your first business plan</h2>
          <p>
            Type a working title above (you can rename it any time) and press <b>New plan</b>.
            You’ll start on section one; every keystroke is saved as you type.
          </p>
        </section>
      )}
      {plans && plans.length > 0 && (
        <>
          <p className="help">Most recently edited first.</p>
          <ul className="plan-list" aria-label="Your plans">
            {plans.map((plan) => (
              <PlanItem
                key={plan.id}
                plan={plan}
                tell={tell}
                onDeleted={(gone) => {
                  setNotice(`“${gone.title}” was deleted.`);
                  heading.current?.focus();
                }}
              />
            ))}
          </ul>
        </>
      )}
    </main>
  );
}
