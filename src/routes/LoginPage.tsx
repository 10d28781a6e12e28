import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { supabase } from '../supabase-client.ts';

export function LoginPage() {
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState<null | 'signin' | 'signup'>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (mode: 'signin' | 'signup', event?: FormEvent) => {
    event?.preventDefault();
    setBusy(mode);
    setError(null);
    const { error: failure } =
      mode === 'signin'
        ? await supabase.auth.signInWithPassword({ email, password })
        : await supabase.auth.signUp({ email, password });
    setBusy(null);
    if (failure) setError(failure.message);
    else navigate('/plans');
  };

  return (
    <main className="login">
      <h1>myplanforsuccess</h1>
      <form onSubmit={(e) => void submit('signin', e)} aria-describedby="login-error">
        <label>
          Email
          <input
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete="current-password"
            required
            minLength={8}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <div className="actions">
          <button type="submit" disabled={busy !== null}>
            {busy === 'signin' ? 'Signing in…' : 'Sign in'}
          </button>
          <button type="button" disabled={busy !== null} onClick={() => void submit('signup')}>
            {busy === 'signup' ? 'Creating account…' : 'Create account'}
          </button>
        </div>
        <p id="login-error" role="alert" className="error">
          {error}
        </p>
      </form>
    </main>
  );
}
