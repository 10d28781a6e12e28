import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { lazy, Suspense, useEffect, useRef, type ReactNode } from 'react';
import { useAuth, userIdOf } from './auth.ts';

// Each page is its own chunk (docs/performance.md, "Size"): a page fetches only what it shows.
const loadLogin = () => import('./routes/LoginPage.tsx');
const loadPlans = () => import('./routes/PlansPage.tsx');
const loadSection = () => import('./routes/SectionPage.tsx');
const LoginPage = lazy(() => loadLogin().then((m) => ({ default: m.LoginPage })));
const PlansPage = lazy(() => loadPlans().then((m) => ({ default: m.PlansPage })));
const SectionPage = lazy(() => loadSection().then((m) => ({ default: m.SectionPage })));

/** After the first page renders, fetch the others, so a page opened offline later still shows. */
function PreloadPages() {
  useEffect(() => {
    const all = () => void Promise.all([loadLogin(), loadPlans(), loadSection()]).catch(() => {});
    const idle = window.requestIdleCallback?.(all, { timeout: 1_000 });
    const timer = idle === undefined ? window.setTimeout(all, 200) : undefined;
    return () => {
      if (idle !== undefined) window.cancelIdleCallback(idle);
      window.clearTimeout(timer);
    };
  }, []);
  return null;
}

function RequireSession({ children }: { children: ReactNode }) {
  const auth = useAuth();
  if (auth.loading) return <p className="loading">Loading…</p>;
  if (!auth.session) return <Navigate to="/login" replace />;
  return children;
}

/** The user this tab showed signed out or was replaced (in any tab): leave their pages. */
function LeaveOnSignOut() {
  const auth = useAuth();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const shown = useRef<string | null>(null);
  const userId = userIdOf(auth);
  useEffect(() => {
    if (auth.loading) return;
    const before = shown.current;
    shown.current = userId;
    if (before !== null && userId !== before && pathname !== '/login')
      void navigate('/login', { replace: true });
  }, [auth.loading, userId, pathname, navigate]);
  return null;
}

export function App() {
  return (
    <BrowserRouter>
      <LeaveOnSignOut />
      <PreloadPages />
      <Suspense
        fallback={
          <p className="loading" role="status">
            Loading…
          </p>
        }
      >
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route
            path="/plans"
            element={
              <RequireSession>
                <PlansPage />
              </RequireSession>
            }
          />
          <Route
            path="/plans/:planId/:sectionKey"
            element={
              <RequireSession>
                <SectionPage />
              </RequireSession>
            }
          />
          <Route path="*" element={<Navigate to="/plans" replace />} />
        </Routes>
      </Suspense>
    </BrowserRouter>
  );
}
