// The console's client of logtank's public APIs: IAM tokens, kept in
// session storage, and one request function that turns every error body
// (LTS, IAM, AOM, gateway) into an ApiError.

const SESSION_KEY = 'logtank.session';

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
  // position is the 1-based character an "at position N" message names.
  get position() {
    const m = /at position (\d+)/.exec(this.message);
    return m ? Number(m[1]) : 0;
  }
}

// InputError is a bad input the page itself refuses: shown like a
// service's error, and not a bug to log.
export class InputError extends Error {}

export function loadSession() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
  } catch {
    return null;
  }
}

export function saveSession(s) {
  if (s) sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else sessionStorage.removeItem(SESSION_KEY);
}

// onUnauthorized is called when a request's token is refused (expired or
// revoked): the console signs out.
export const hooks = { onUnauthorized: () => {} };

function currentToken() {
  const s = loadSession();
  const p = s && s.projects.find((x) => x.id === s.project);
  return p ? p.token : '';
}

export function projectID() {
  const s = loadSession();
  return s ? s.project : '';
}

// api sends one request and returns {data, headers}; a token of '' sends
// none, undefined sends the current project's.
export async function api(method, path, body, { token } = {}) {
  const headers = { Accept: 'application/json' };
  const t = token === undefined ? currentToken() : token;
  if (t) headers['X-Auth-Token'] = t;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json;charset=UTF-8';
    payload = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: payload });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', `The server cannot be reached (${e.message})`);
  }
  const text = await resp.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!resp.ok) {
    const d = data || {};
    const code = d.error_code || d.errorCode || (d.error && d.error.code) || d.errorType || String(resp.status);
    const msg = d.error_msg || d.errorMessage || (d.error && (d.error.message || (typeof d.error === 'string' && d.error))) || text || resp.statusText;
    const err = new ApiError(resp.status, code, String(msg), resp.headers.get('Retry-After'));
    if (resp.status === 401 && t && token === undefined) hooks.onUnauthorized(err);
    throw err;
  }
  return { data, headers: resp.headers };
}

// passwordBody is an IAM password sign-in scoped to scope.
function passwordBody(domain, user, password, scope) {
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user, password, domain: { name: domain } } } },
      scope,
    },
  };
}

// signIn gets a domain token, lists the domain's projects, and a token for
// each (at most 20): switching projects needs no password again. The
// password itself is never stored.
export async function signIn(domain, user, password) {
  const r = await api('POST', '/v3/auth/tokens?nocatalog=true', passwordBody(domain, user, password, { domain: { name: domain } }), { token: '' });
  const domainToken = r.headers.get('X-Subject-Token');
  // The alarm APIs' paths name the domain by id.
  const domainID = r.data.token.user.domain.id;
  const list = await api('GET', '/v3/projects', undefined, { token: domainToken });
  const projects = [];
  for (const p of (list.data.projects || []).slice(0, 20)) {
    const t = await api('POST', '/v3/auth/tokens?nocatalog=true', passwordBody(domain, user, password, { project: { id: p.id } }), { token: '' });
    projects.push({ id: p.id, name: p.name, token: t.headers.get('X-Subject-Token') });
  }
  if (projects.length === 0) throw new ApiError(403, 'CONSOLE', 'The user has no project in this domain');
  const session = { domain, domainID, user, project: projects[0].id, projects, domainToken };
  saveSession(session);
  return session;
}

// signOut revokes the session's tokens (best effort) and forgets them.
export async function signOut() {
  const s = loadSession();
  saveSession(null);
  if (!s) return;
  const all = [s.domainToken, ...s.projects.map((p) => p.token)].filter(Boolean);
  await Promise.allSettled(all.map((t) => fetch('/v3/auth/tokens', { method: 'DELETE', headers: { 'X-Auth-Token': t, 'X-Subject-Token': t } })));
}

export function domainID() {
  const s = loadSession();
  return s ? s.domainID : '';
}

// lts prefixes a path with the current project's LTS root.
export const lts = (path) => `/v2/${projectID()}${path}`;
