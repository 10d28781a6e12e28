// Edge Function `business-plans` (contract §3):
//   POST /business-plans { title } → 201 the new plan
//   GET  /business-plans           → the caller's plans, last edited first
//   PATCH  /business-plans/ID { title } → the renamed plan (last writer wins)
//   DELETE /business-plans/ID          → the plan and its sections are gone
import { sqlState } from '../_shared/db.ts';
import { ApiError, badRequest, planNotFound } from '../_shared/errors.ts';
import type { FunctionDeps } from '../_shared/function-deps.ts';
import {
  allowMethods,
  createFunctionBase,
  limitDeclaredBody,
  parseWith,
  readJsonBody,
  requireUser,
} from '../_shared/http.ts';
import { createPlan, deletePlan, listPlans, renamePlan } from '../_shared/plans.ts';
import { CreatePlanRequestSchema, RenamePlanRequestSchema, UuidSchema } from '../_shared/schema.ts';

function planIdParam(value: string | undefined): string {
  if (UuidSchema.safeParse(value).success) return value as string;
  throw badRequest('The plan id in the path must be a UUID: use the id of one of your plans.');
}

export function createBusinessPlansApp({ db, verifyToken, log }: FunctionDeps) {
  const app = createFunctionBase(log);
  app.use(
    '/business-plans',
    allowMethods('GET', 'POST'),
    limitDeclaredBody(),
    requireUser(verifyToken),
  );
  app.use(
    '/business-plans/:id',
    allowMethods('PATCH', 'DELETE'),
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

  app.patch('/business-plans/:id', async (c) => {
    const planId = planIdParam(c.req.param('id'));
    const body = await readJsonBody(c);
    if (body === undefined)
      throw badRequest('The request has no body. Send JSON: { "title": "New title" }.');
    const { title } = parseWith(RenamePlanRequestSchema, body, 'body');
    const plan = await db.asUser(c.var.user, (tx) => renamePlan(tx, planId, title));
    if (!plan) throw planNotFound();
    return c.json({ success: true, data: plan });
  });

  app.delete('/business-plans/:id', async (c) => {
    const planId = planIdParam(c.req.param('id'));
    // A body is refused like everywhere else (415, 413, 400), but a DELETE needs none.
    const body = await readJsonBody(c);
    if (body !== undefined) throw badRequest('A DELETE takes no body. Send it again without one.');
    const deleted = await db.asUser(c.var.user, (tx) => deletePlan(tx, planId));
    if (!deleted) throw planNotFound();
    return c.json({ success: true, data: { id: planId } });
  });

  return app;
}
