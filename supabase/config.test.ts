// supabase/config.toml as the Supabase CLI reads it: `supabase functions deploy --use-api` (which
// bundles without Docker) runs against a loopback stand-in for the Management API, through a CLI
// profile that points there, so nothing leaves the machine. What it uploads shows how the CLI
// understood config.toml: each function's entrypoint, import map and verify_jwt.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(ROOT, 'node_modules', '.bin', 'supabase');
const PROJECT_REF = 'abcdefghijklmnopqrst';

interface Deploy {
  slug: string | null;
  metadata: Record<string, unknown>;
  files: string[];
}

const stored = (slug: string | null) => ({
  id: slug,
  slug,
  name: slug,
  status: 'ACTIVE',
  version: 1,
  created_at: 0,
  updated_at: 0,
});

/** The Management API's deploy endpoints, recording what the CLI uploads; 404 for the rest. */
function fakeManagementApi(deploys: Deploy[]): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      res.setHeader('content-type', 'application/json');
      const functionsPath = `/v1/projects/${PROJECT_REF}/functions`;
      // Several functions at once: each is deployed inactive, then all are switched on together.
      if (req.method === 'PUT' && url.pathname === functionsPath) {
        const updates = JSON.parse(Buffer.concat(chunks).toString()) as { slug: string }[];
        const functions = updates.map(({ slug }) => ({ ...stored(slug), status: 'ACTIVE' }));
        res.end(JSON.stringify({ functions }));
        return;
      }
      if (req.method !== 'POST' || url.pathname !== `${functionsPath}/deploy`) {
        res.statusCode = 404;
        res.end('{"message":"not part of the stand-in"}');
        return;
      }
      const headers = { 'content-type': req.headers['content-type'] ?? '' };
      const form = await new Response(Buffer.concat(chunks), { headers }).formData();
      const files = form.getAll('file').map((file) => (file instanceof File ? file.name : ''));
      const metadata = JSON.parse(String(form.get('metadata'))) as Record<string, unknown>;
      const slug = url.searchParams.get('slug');
      deploys.push({ slug, metadata, files });
      res.statusCode = 201;
      res.end(JSON.stringify(stored(slug)));
    });
  });
}

let dir: string;
let api: Server;
const deploys: Deploy[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'mpfs-cli-'));
  // A copy of supabase/, so the CLI's state (supabase/.temp) stays out of the repo.
  cpSync(path.join(ROOT, 'supabase', 'config.toml'), path.join(dir, 'supabase', 'config.toml'));
  cpSync(path.join(ROOT, 'supabase', 'functions'), path.join(dir, 'supabase', 'functions'), {
    recursive: true,
  });
  api = fakeManagementApi(deploys);
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => api?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  const address = api.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const profile = path.join(dir, 'profile.yaml');
  const origin = `http://127.0.0.1:${port}`;
  writeFileSync(
    profile,
    `name: loopback\napi_url: ${origin}\ndashboard_url: ${origin}\nproject_host: localhost\n`,
  );
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, [...args, '--profile', profile, '--workdir', dir], {
      env: {
        PATH: process.env.PATH,
        HOME: path.join(dir, 'home'),
        SUPABASE_HOME: path.join(dir, 'home', '.supabase'),
        // A well-formed token the stand-in accepts; the CLI checks only its shape.
        SUPABASE_ACCESS_TOKEN: `sbp_${'0'.repeat(40)}`,
        SUPABASE_NO_UPDATE_NOTIFIER: '1',
        SUPABASE_TELEMETRY_DISABLED: '1',
        DO_NOT_TRACK: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

it('functions deploy reads config.toml: every function, its entry and import map, verify_jwt off', async () => {
  const result = await runCli(['functions', 'deploy', '--use-api', '--project-ref', PROJECT_REF]);
  expect(result.code, result.output).toBe(0);

  const functions = readdirSync(path.join(ROOT, 'supabase', 'functions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('_'))
    .map((entry) => entry.name)
    .sort();
  expect(deploys.map((deploy) => deploy.slug).sort()).toEqual(functions);
  for (const name of functions) {
    const deploy = deploys.find((d) => d.slug === name);
    expect(deploy?.metadata).toEqual({
      name,
      entrypoint_path: `supabase/functions/${name}/index.ts`,
      import_map_path: `supabase/functions/${name}/deno.json`,
      static_patterns: [],
      // The functions verify tokens themselves (_shared/auth.ts).
      verify_jwt: false,
    });
    const files = deploy?.files ?? [];
    expect(files).toEqual(
      expect.arrayContaining([
        `supabase/functions/${name}/index.ts`,
        `supabase/functions/${name}/deno.json`,
        'supabase/functions/_shared/db-postgres.ts',
      ]),
    );
    expect(files.filter((file) => /test|suite|support/.test(file))).toEqual([]);
  }
});
