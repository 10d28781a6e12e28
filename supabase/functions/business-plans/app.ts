// Edge Function `business-plans` (contract §3):
//   POST /business-plans { title } → 201 the new plan
//   GET  /business-plans           → the caller's plans
import { sqlState } from '../_shared/db.ts';
import { ApiError, badRequest } from '../_shared/errors.ts';
import type { FunctionDeps } from '../_shared/function-deps.ts';
import {
  allowMethods,
  createFunctionBase,
  limitDeclaredBody,
  parseWith,
  readJsonBody,
  requireUser,
} from '../_shared/http.ts';
import { createPlan, listPlans } from '../_shared/plans.ts';
import { CreatePlanRequestSchema } from '../_shared/schema.ts';

export function createBusinessPlansApp({ db, verifyToken, log }: FunctionDeps) {
  const app = createFunctionBase(log);
  app.use(
    '/business-plans',
    allowMethods('GET', 'POST'),
    limitDeclaredBody(),
    requireUser(verifyToken),
  );

  app.get('/business-plans', async (c) => {
    const plans = await db.asUser(c.var.user, (tx) => listPlans(tx));
    return c.json({ success: true, data: plans });
  });

  app.post('/business-plans', async (c) => {
    const body = await readJsonBody(c);
    if (body === undefined)
      throw badRequest('The request has no body. Send JSON: { "title": "My plan" }.');
    const { title } = parseWith(CreatePlanRequestSchema, body, 'body');
    try {
      const plan = await db.asUser(c.var.user, (tx) => createPlan(tx, title));
      return c.json({ success: true, data: plan }, 201);
    } catch (error) {
      // The token is valid but its user no longer exists (deleted account).
      if (sqlState(error) === '23503')
        throw new ApiError(
          'UNAUTHORIZED',
          'Your account no longer exists. Sign up or sign in again.',
        );
      throw error;
    }
  });

  return app;
}
