/* global atob, btoa, crypto, document, history, sessionStorage, TextDecoder, TextEncoder, URLSearchParams */
// OpenID Connect sign-in for the dashboard: authorization code with PKCE (RFC 7636, S256) against the
// identity provider. The tokens live in this module's memory only (never in storage), so a reload signs
// in again through the provider's session; only the one-time verifier and state cross the redirect, in
// sessionStorage, and are removed when the provider answers.
import { idTokenProblem } from './id-token.js';
import { sessionKeeper } from './session.js';

const PENDING = 'passerelle-oidc-pending';
/** Renew this many seconds before the access token expires. */
const RENEW_BEFORE_S = 60;

let settings = null;
let endpoints = null;
/** The provider's discovery, under way from `start`: a sign-in clicked before it ends waits for it. */
let discovery = null;
let tokens = null;
let notify = () => {};

const base64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const randomString = () => base64url(crypto.getRandomValues(new Uint8Array(32)));
const challengeOf = async (verifier) => base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));

/** The payload of a JWT, unverified: for display and timing only; the view API verifies every token. */
function claimsOf(jwt) {
  const part = (jwt.split('.')[1] || '').replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
}

/** The page's one address, as the client's exact redirect URIs name it (not /index.html). */
function redirectUri() {
  return `${document.location.origin}/`;
}

async function discover() {
  const response = await fetch(`${settings.issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error('the identity provider cannot be reached');
  const document_ = await response.json();
  if (document_.issuer !== settings.issuer) throw new Error('the identity provider names another issuer');
  return document_;
}

async function tokenRequest(form) {
  const response = await fetch(endpoints.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: settings.clientId, ...form }),
  });
  if (!response.ok) throw new Error('the identity provider refused the request');
  return response.json();
}

/** Throws unless the answer's ID token (required at sign-in, where `nonce` is given) is for this page from this provider. */
function checkIdToken(answer, nonce) {
  if (!answer.id_token) {
    if (nonce === undefined) return;
    throw new Error('the sign-in answer has no ID token');
  }
  const nowS = Math.floor(Date.now() / 1000);
  const problem = idTokenProblem(claimsOf(answer.id_token), { issuer: settings.issuer, clientId: settings.clientId, nowS, nonce });
  if (problem) throw new Error(`the sign-in answer's ID token was ${problem}`);
}

/** When a refresh token ends (the provider's idle timeout), if it says; Keycloak's are JWTs. */
function sessionEndOf(refreshToken) {
  try {
    return claimsOf(refreshToken).exp * 1000;
  } catch {
    return undefined;
  }
}

function keep(answer) {
  tokens = {
    access: answer.access_token,
    refresh: answer.refresh_token || tokens?.refresh,
    id: answer.id_token || tokens?.id,
  };
  if (tokens.refresh) keeper.issued(claimsOf(tokens.access).exp * 1000, sessionEndOf(tokens.refresh));
  else keeper.stop();
  notify();
}

/** A new access token through the refresh token; when the provider says no, the person is signed out here too. */
async function refresh() {
  if (!tokens?.refresh) return false;
  try {
    const answer = await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh });
    checkIdToken(answer);
    keep(answer);
    return true;
  } catch {
    forget();
    return false;
  }
}

function forget() {
  keeper.stop();
  tokens = null;
  notify();
}

const keeper = sessionKeeper({ refresh, lapse: forget, renewBeforeMs: RENEW_BEFORE_S * 1000 });

/** Renews the tokens now (an API call found its token lapsed); a renewal already under way is shared, not repeated. */
export function renew() {
  return keeper.renew();
}

/** What counts as using the page: a renewal is due only after some. */
function watchActivity() {
  const active = () => keeper.activity();
  for (const type of ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'])
    document.addEventListener(type, active, { capture: true, passive: true });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') active();
  });
}

/**
 * Reads the provider's settings and, when the page is the provider's answer to a sign-in, exchanges
 * the code with its verifier. Returns what the page had kept across the redirect (its language), if anything.
 */
export async function start(providerSettings, changed) {
  settings = providerSettings;
  notify = changed;
  discovery = discover();
  endpoints = await discovery;
  watchActivity();
  const params = new URLSearchParams(document.location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  if (!params.has('state') || !pending) return null;
  sessionStorage.removeItem(PENDING);
  // The provider's answer leaves the address bar: a code is single-use, and a bookmark must not keep it.
  // The dashboard's choice (its hash: period, measure, drill-downs) comes back too, if it is one.
  const hash = /^#[A-Za-z0-9=&_.-]{1,300}$/.test(pending.hash ?? '') ? pending.hash : '';
  history.replaceState(null, '', `${redirectUri()}${pending.lang ? `?lang=${pending.lang}` : ''}${hash}`);
  if (params.get('state') !== pending.state) throw new Error('the sign-in answer does not match the request');
  if (params.has('error')) throw new Error(params.get('error_description') || params.get('error'));
  const answer = await tokenRequest({
    grant_type: 'authorization_code',
    code: params.get('code'),
    redirect_uri: redirectUri(),
    code_verifier: pending.verifier,
  });
  // Checked before the tokens are kept, so the page never shows a person the answer does not vouch for.
  checkIdToken(answer, pending.nonce);
  keep(answer);
  return pending;
}

/** To the provider's sign-in page; `lang` comes back with the person, and asks the provider for that language. */
export async function signIn(lang) {
  const verifier = randomString();
  const state = randomString();
  const nonce = randomString();
  endpoints ??= await discovery;
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, nonce, lang, hash: document.location.hash }));
  const url = new URL(endpoints.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: settings.clientId,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: 'openid',
    state,
    nonce,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
    ui_locales: lang,
  }).toString();
  document.location.assign(url.toString());
}

/** Ends the provider's session too (RP-initiated logout), then comes back to the page signed out. */
export function signOut(lang) {
  const idToken = tokens?.id;
  forget();
  const url = new URL(endpoints.end_session_endpoint);
  url.search = new URLSearchParams({
    client_id: settings.clientId,
    post_logout_redirect_uri: `${redirectUri()}?lang=${lang}`,
    ...(idToken ? { id_token_hint: idToken } : {}),
  }).toString();
  document.location.assign(url.toString());
}

export function accessToken() {
  return tokens?.access || '';
}

/** Who is signed in, as the access token says (display only): name, realm roles and ministry. */
export function person() {
  if (!tokens) return null;
  const claims = claimsOf(tokens.access);
  return { name: claims.preferred_username || claims.sub, roles: claims.realm_access?.roles || [], ministry: claims.ministry || null };
}
