// api: the REST client (SPEC §7). Requests carry the session cookie (same origin), or a wall
// token as a Bearer header in kiosk mode (?token= in the URL fragment). Every answer is JSON;
// errors become ApiError with the HTTP status and the hub's {"error"} text. A 401 outside the
// login call tells the app (onUnauthorized) so it can show the login page.

export class ApiError extends Error {
  constructor(status, message, path) {
    super(message);
    this.status = status;
    this.path = path;
  }
}

const state = { token: null, onUnauthorized: null };

export function setToken(tok) { state.token = tok || null; }
export function getToken() { return state.token; }
export function onUnauthorized(fn) { state.onUnauthorized = fn; }

export async function request(method, path, body, { quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (state.token) headers.Authorization = 'Bearer ' + state.token;
  let r;
  try {
    r = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network: ' + e.message, path);
  }
  let doc = null;
  const text = await r.text();
  if (text) {
    try { doc = JSON.parse(text); } catch (e) { doc = null; }
  }
  if (!r.ok) {
    const msg = (doc && doc.error) || `${r.status} ${r.statusText}`;
    if (r.status === 401 && !quiet401 && state.onUnauthorized) state.onUnauthorized();
    throw new ApiError(r.status, msg, path);
  }
  return doc;
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body === undefined ? {} : body, opts);
export const del = (path, opts) => request('DELETE', path, undefined, opts);

// A collection answer as a list: the document itself, or the first of keys it holds.
export function asList(doc, ...keys) {
  if (Array.isArray(doc)) return doc;
  if (doc && typeof doc === 'object') {
    for (const k of keys) if (Array.isArray(doc[k])) return doc[k];
    for (const k of keys) if (doc[k] && typeof doc[k] === 'object') return Object.entries(doc[k]).map(([id, v]) => ({ id, ...v }));
  }
  return [];
}
