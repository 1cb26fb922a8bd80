/**
 * The dashboard's one way to the operator API: same-origin fetch with the session cookie, JSON in
 * and out, errors as ApiError (status, code, message). Tokens never go into a URL or storage.
 */
import { useEffect, useRef, useState } from '/vendor/hooks.mjs';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

let onUnauthenticated = () => {};

/** Called when a call answers 401 (the session ended): the app shows the login page. */
export function setUnauthenticatedHandler(handler) {
  onUnauthenticated = handler;
}

export async function api(path, { method = 'GET', body } = {}) {
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, 'NETWORK', `the server did not answer (${error.message})`);
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const error = new ApiError(
      response.status,
      payload?.error?.code ?? `HTTP_${response.status}`,
      payload?.error?.message ?? response.statusText,
    );
    if (response.status === 401 && !path.startsWith('/session')) onUnauthenticated(error);
    throw error;
  }
  return payload;
}

export const enc = encodeURIComponent;

/** `?a=1&b=2` from an object, leaving out empty values ('' when nothing is left). */
export function query(params) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  }
  const s = search.toString();
  return s === '' ? '' : `?${s}`;
}

/**
 * Loads `path` (null: nothing) and again on reload() or every `interval` ms. Data of a previous path
 * is dropped when the path changes; a failed poll keeps the last data and sets error.
 */
export function useApi(path, { interval } = {}) {
  const [state, setState] = useState({ loading: path !== null, data: null, error: null });
  const [tick, setTick] = useState(0);
  const lastPath = useRef(path);
  useEffect(() => {
    if (path === null) return undefined;
    let alive = true;
    if (lastPath.current !== path) {
      lastPath.current = path;
      setState({ loading: true, data: null, error: null });
    }
    const load = () =>
      api(path).then(
        (data) => alive && setState({ loading: false, data, error: null }),
        (error) => alive && setState((s) => ({ loading: false, data: s.data, error })),
      );
    load();
    const timer = interval === undefined ? undefined : setInterval(load, interval);
    return () => {
      alive = false;
      if (timer !== undefined) clearInterval(timer);
    };
  }, [path, tick, interval]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}
