// The API client. The token lives in localStorage: the API is Bearer-token based, and a cookie
// would need CSRF protection on every route. What makes that acceptable is the page's CSP
// (only this origin's scripts run) and that server data only ever reaches the DOM as text.

const TOKEN_KEY = 'stockhub.token';

export const session = {
  get token() { return localStorage.getItem(TOKEN_KEY); },
  save(token) { localStorage.setItem(TOKEN_KEY, token); },
  clear() { localStorage.removeItem(TOKEN_KEY); },
};

/** A non-2xx answer, with its problem+json document when there is one. */
export class ProblemError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  get field() { return this.problem.field; }
}

/** Fired when an authenticated call is refused (expired or revoked token): back to sign-in. */
export const SESSION_ENDED = 'stockhub:session-ended';

/**
 * Calls the API. `json` sends a JSON body; `text` + `contentType` send anything else.
 * Resolves to { status, data, headers } for 2xx; throws ProblemError otherwise.
 */
export async function api(path, { method = 'GET', json, text, contentType, auth = true } = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  if (text !== undefined) { headers['Content-Type'] = contentType; body = text; }
  const token = session.token;
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { method, headers, body });
  } catch (error) {
    throw new ProblemError(0, { title: 'Network error', detail: `The server could not be reached (${error.message}).` });
  }
  const type = response.headers.get('Content-Type') || '';
  const data = response.status === 204 ? null
    : type.includes('json') ? await response.json().catch(() => null) : await response.text();
  if (response.ok) return { status: response.status, data, headers: response.headers };
  const problem = data && typeof data === 'object' ? data : { detail: `HTTP ${response.status}` };
  if (response.status === 401 && auth) {
    session.clear();
    window.dispatchEvent(new CustomEvent(SESSION_ENDED, {
      detail: 'Your session has ended (the token expired or was revoked). Please sign in again.',
    }));
  }
  throw new ProblemError(response.status, problem);
}
