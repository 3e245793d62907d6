// Talking to the Console: the same REST API as scripts use, authenticated by the session cookie.
// Changes carry the session's CSRF token; a 401 anywhere means the session is over.

let csrf = '';
let onLoggedOut = () => {};

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function setSession(session) { csrf = session ? session.csrfToken : ''; }
export function whenLoggedOut(f) { onLoggedOut = f; }

/** Calls `path`; resolves to {data, headers, status}; rejects with ApiError and the API's `err`. */
export async function api(path, { method = 'GET', body, raw = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (resp.status === 401 && !path.startsWith('/ui/session') && !path.startsWith('/ui/login')) {
    onLoggedOut();
  }
  const text = raw ? '' : await resp.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!resp.ok) {
    const message = data && typeof data === 'object' && data.err ? data.err : `${resp.status} ${resp.statusText}`;
    throw new ApiError(resp.status, message);
  }
  return { data, headers: resp.headers, status: resp.status };
}

export const V = '/api/v1';
