// Static files of the Vite build, with the single-page-app fallback to index.html.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.xml': 'application/xml',
};

async function fileResponse(file: string, method: string, immutable: boolean): Promise<Response> {
  const body = method === 'HEAD' ? null : await readFile(file);
  return new Response(body, {
    headers: {
      'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      // Vite's hashed assets never change; everything else (index.html) is revalidated.
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    },
  });
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves `pathname` from `root`. A missing path without a file extension (an app route such as
 * /plans/ID/section-one) gets index.html; a missing asset gets null (→ 404).
 */
export async function serveStatic(
  root: string,
  pathname: string,
  method: string,
): Promise<Response | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const base = path.resolve(root);
  const file = path.resolve(base, '.' + path.posix.normalize('/' + decoded));
  if (file !== base && !file.startsWith(base + path.sep)) return null;
  if (await isFile(file)) return fileResponse(file, method, decoded.startsWith('/assets/'));
  const index = path.join(file, 'index.html');
  if (file.startsWith(base) && (await isFile(index))) return fileResponse(index, method, false);
  const ext = path.extname(decoded);
  if (ext && ext !== '.html') return null;
  const appIndex = path.join(base, 'index.html');
  if (await isFile(appIndex)) return fileResponse(appIndex, method, false);
  return null;
}
