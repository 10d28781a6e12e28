// Edge Function `plan-sections` (contract §3):
//   GET /plan-sections?planId=ID        → the plan's saved sections
//   GET /plan-sections/KEY?planId=ID    → one section; never saved → 404
//   PUT /plan-sections/KEY {planId, data, version, mutationId?} → compare-and-set save; 200 or 409
// Both GETs send a weak ETag (ids + versions) and answer a matching If-None-Match with 304.
import type { Context } from 'hono';
import { ifNoneMatchMatches, sectionsEtag } from '../_shared/etag.ts';
import { sqlState } from '../_shared/db.ts';
import { ApiError, badRequest, notFound, planNotFound } from '../_shared/errors.ts';
import type { FunctionDeps } from '../_shared/function-deps.ts';
import {
  allowMethods,
  createFunctionBase,
  limitDeclaredBody,
  parseWith,
  readJsonBody,
  requireUser,
  type FunctionEnv,
} from '../_shared/http.ts';
import { getSection, listSections, planVisible, saveSection } from '../_shared/plans.ts';
import {
  SECTION_KEYS,
  SaveSectionRequestSchema,
  UuidSchema,
  findSectionDataProblem,
  isSectionKey,
  type PlanSection,
  type SectionKey,
  type VersionConflictBody,
} from '../_shared/schema.ts';

function sectionKey(c: Context<FunctionEnv>): SectionKey {
  const key = c.req.param('key') ?? '';
  if (isSectionKey(key)) return key;
  throw badRequest(
    `There is no section "${key.slice(0, 100)}". Use one of: ${SECTION_KEYS.join(', ')}.`,
  );
}

/** 200 with the sections and their ETag, or 304 with no body when If-None-Match matches it. */
async function conditional(c: Context<FunctionEnv>, sections: PlanSection[], body: unknown) {
  const etag = await sectionsEtag(sections);
  const headers = { etag, 'cache-control': 'private, no-cache' };
  if (ifNoneMatchMatches(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
  return c.json({ success: true, data: body }, 200, headers);
}

function planIdQuery(c: Context<FunctionEnv>): string {
  const planId = c.req.query('planId');
  if (planId === undefined)
    throw badRequest('The planId query parameter is missing. Add ?planId=<the plan’s id>.');
  if (!UuidSchema.safeParse(planId).success)
    throw badRequest('planId must be a UUID: use the id of one of your plans.');
  return planId;
}

export function createPlanSectionsApp({ db, verifyToken, log }: FunctionDeps) {
  const app = createFunctionBase(log);
  const auth = [limitDeclaredBody(), requireUser(verifyToken)] as const;
  app.use('/plan-sections', allowMethods('GET'), ...auth);
  app.use('/plan-sections/:key', allowMethods('GET', 'PUT'), ...auth);

  app.get('/plan-sections', async (c) => {
    const planId = planIdQuery(c);
    const sections = await db.asUser(c.var.user, async (tx) => {
      if (!(await planVisible(tx, planId))) throw planNotFound();
      return listSections(tx, planId);
    });
    return conditional(c, sections, sections);
  });

  app.get('/plan-sections/:key', async (c) => {
    const key = sectionKey(c);
    const planId = planIdQuery(c);
    const section = await db.asUser(c.var.user, async (tx) => {
      if (!(await planVisible(tx, planId))) throw planNotFound();
      return getSection(tx, planId, key);
    });
    if (!section)
      throw notFound(
        `Section ${key} of this plan has never been saved. Save it with version 0 to create it.`,
      );
    return conditional(c, [section], section);
  });

  app.put('/plan-sections/:key', async (c) => {
    const key = sectionKey(c);
    const body = await readJsonBody(c);
    if (body === undefined)
      throw badRequest('The request has no body. Send JSON: { "planId", "data", "version" }.');
    const request = parseWith(SaveSectionRequestSchema, body, 'body');
    // Store the data exactly as it was sent (not zod's copy of it).
    const data = (body as { data: unknown }).data;
    const problem = findSectionDataProblem(data);
    if (problem) throw badRequest(`The section's data can't be saved: ${problem}.`);
    const version = request.version ?? 0;

    let result;
    try {
      result = await db.asUser(c.var.user, (tx) =>
        saveSection(
          tx,
          request.planId,
          key,
          JSON.stringify(data),
          version,
          request.mutationId ?? null,
        ),
      );
    } catch (error) {
      // The plan vanished between the check and the write (deleted concurrently).
      const state = sqlState(error);
      if (state === '23503' || state === '42501') throw planNotFound();
      throw error;
    }

    if (result.status === 'not_found') throw planNotFound();
    if (result.status === 'conflict') {
      const conflict: Omit<VersionConflictBody, 'success' | 'error' | 'message'> = {
        serverVersion: result.version,
        clientVersion: version,
        serverData: result.data,
      };
      throw new ApiError(
        'VERSION_CONFLICT',
        result.version === 0
          ? `Section ${key} has never been saved, so version ${version} is stale. Save it with version 0.`
          : `Section ${key} was saved elsewhere: the server has version ${result.version}, you sent version ${version}. ` +
              `Nothing was written. Take serverData, or save again with version ${result.version} to overwrite it.`,
        conflict,
      );
    }
    return c.json({ success: true, data: result.section });
  });

  return app;
}
