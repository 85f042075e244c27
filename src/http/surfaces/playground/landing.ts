/**
 * `GET /` for browsers: when a request's `Accept` prefers HTML over JSON (a
 * browser's address bar), `/` answers with a small page linking the
 * playground and the API docs instead of the JSON status.
 */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** The q-value `accept` gives `type` (`type/subtype`), counting wildcards; 0 when not accepted. */
function quality(accept: string, type: string): number {
  const [major] = type.split('/');
  let best = -1;
  let specificity = -1;
  for (const range of accept.split(',')) {
    const [media = '', ...parameters] = range.trim().toLowerCase().split(';');
    const rank = media === type ? 2 : media === `${major}/*` ? 1 : media === '*/*' ? 0 : -1;
    if (rank < specificity || rank < 0) continue;
    const q = parameters.map((parameter) => /^\s*q=([0-9.]+)\s*$/.exec(parameter)?.[1]).find((value) => value !== undefined);
    specificity = rank;
    best = q === undefined ? 1 : Number(q);
  }
  return Math.max(best, 0);
}

/**
 * Whether `Accept` prefers `text/html` to `application/json` (RFC 9110
 * §12.5.1; the more specific range wins, JSON wins ties, so `*\/*` and no
 * header get JSON).
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return false;
  return quality(accept, 'text/html') > quality(accept, 'application/json');
}

/** The landing page; no script, no style: the default policy applies. */
export function landingPage(title: string, version: string): string {
  const name = escapeHtml(title);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name}</title>
</head>
<body>
<h1>${name}</h1>
<p>Self-hosted chat backend for LLM apps, version ${escapeHtml(version)}.</p>
<ul>
<li><a href="/playground">Playground</a>: chat with the configured models in the browser</li>
<li><a href="/docs">API documentation</a> (Swagger UI), <a href="/redoc">Redoc</a>, <a href="/openapi.json">OpenAPI document</a></li>
<li><a href="/health">Health</a></li>
</ul>
</body>
</html>
`;
}
