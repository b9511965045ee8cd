// The two API calls the page makes, with errors turned into sentences a person can act on.

export class ApiError extends Error {
  /** status 0: no answer at all; 4xx: the request (usually the query) was refused. */
  constructor(message, status) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

function reasonOf(data, fallback) {
  const e = data && data.error;
  if (typeof e === 'string') return e;
  if (e && typeof e.reason === 'string') return e.reason;
  if (e && Array.isArray(e.root_cause) && e.root_cause[0] && typeof e.root_cause[0].reason === 'string') return e.root_cause[0].reason;
  return fallback;
}

async function call(url, init) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError('The server did not answer: it may be down or restarting. Try again in a moment.', 0);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    if (response.ok) throw new ApiError(`The server answered ${response.status} with something that is not JSON.`, response.status);
  }
  if (!response.ok) throw new ApiError(reasonOf(data, `${response.status} ${response.statusText}`), response.status);
  return data;
}

/** POST /api/search; rejects with AbortError when `signal` aborts. */
export function search(body, signal) {
  return call('/api/search', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
}

/** GET /api/records/<id>: the stored document. */
export function record(id, signal) {
  return call(`/api/records/${encodeURIComponent(id)}`, { signal });
}

/** hits.total as a number, from Elasticsearch 6 (number) or 7 ({value}) answers. */
export function totalOf(data) {
  const t = data && data.hits && data.hits.total;
  if (typeof t === 'number') return t;
  if (t && typeof t.value === 'number') return t.value;
  return 0;
}
