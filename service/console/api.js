// The one way the console talks to the service: the public GraphQL API (and the CSV exports),
// with the token kept in this tab's session storage.

import { lang } from './i18n.js';

const KEY = 'po.token';

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  sessionStorage.setItem(KEY, value.trim());
}

export function forget() {
  sessionStorage.removeItem(KEY);
}

/** Raised when the service refused the token: the console signs out. */
export class SignedOut extends Error {}

/** A GraphQL error, with its code and the problems it names by field. */
export class ApiError extends Error {
  constructor(first) {
    super(first?.message ?? 'error');
    this.code = first?.extensions?.code;
    this.problems = first?.extensions?.problems ?? [];
  }
}

function headers(json) {
  const h = { 'Accept-Language': lang() === 'en' ? 'en' : 'zh-CN' };
  if (json) h['Content-Type'] = 'application/json';
  const bearer = token();
  if (bearer) h.Authorization = `Bearer ${bearer}`;
  return h;
}

/** Runs one GraphQL operation; resolves to its data or throws its first error. */
export async function gql(query, variables = {}) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: headers(true),
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) {
    forget();
    throw new SignedOut();
  }
  const body = await response.json().catch(() => ({ errors: [{ message: response.statusText }] }));
  if (body.errors?.length) {
    const error = new ApiError(body.errors[0]);
    if (error.code === 'UNAUTHENTICATED') {
      forget();
      throw new SignedOut();
    }
    throw error;
  }
  return body.data;
}

/** Downloads `path` (a CSV export) with the token, saved as `filename`. */
export async function download(path, filename) {
  const response = await fetch(path, { headers: headers(false) });
  if (response.status === 401) {
    forget();
    throw new SignedOut();
  }
  if (!response.ok) throw new ApiError({ message: `${response.status} ${response.statusText}` });
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
