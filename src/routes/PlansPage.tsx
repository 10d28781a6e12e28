import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import type { BusinessPlan } from '../../supabase/functions/_shared/schema.ts';
import { createPlan, listPlans } from '../api.ts';
import { signOut } from '../session/sign-out.ts';

export function PlansPage() {
  const navigate = useNavigate();
  const [plans, setPlans] = useState<BusinessPlan[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [title, setTitle] = useState('');
  const [creating, setCreating] = useState(false);

  useEffect(() => {
    let alive = true;
    void listPlans().then((result) => {
      if (!alive) return;
      if (result.ok) setPlans(result.value);
      else setError(result.message);
    });
    return () => {
      alive = false;
    };
  }, []);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setCreating(true);
    setError(null);
    const result = await createPlan(title.trim() || 'Untitled plan');
    setCreating(false);
    if (!result.ok) return setError(result.message);
    navigate(`/plans/${result.value.id}/section-one`);
  };

  return (
    <main className="plans">
      <header>
        <h1>Your plans</h1>
        <button type="button" className="link" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <form onSubmit={(e) => void create(e)} className="new-plan">
        <label>
          Plan title
          <input value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} />
        </label>
        <button type="submit" disabled={creating}>
          {creating ? 'Creating…' : 'New plan'}
        </button>
      </form>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {plans === null && !error && <p className="loading">Loading your plans…</p>}
      {plans && plans.length === 0 && <p>No plans yet. Give it a title and press New plan.</p>}
      {plans && plans.length > 0 && (
        <ul className="plan-list">
          {plans.map((plan) => (
            <li key={plan.id}>
              <Link to={`/plans/${plan.id}/section-one`}>{plan.title}</Link>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
