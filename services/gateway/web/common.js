"use strict";
// Shared by the mayor's console and the driver's page: one JSON call to the gateway's API, with
// the bearer token, and the API's error message ("detail") carried in the thrown error.
window.Bocage = (() => {
  class ApiError extends Error {
    constructor(status, detail) { super(detail); this.status = status; }
  }

  async function request(method, path, body, token) {
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
      throw new ApiError(response.status, detail);
    }
    if (response.status === 204) return null;
    const type = response.headers.get("content-type") || "";
    return type.includes("json") ? response.json() : response.text();
  }

  // A page's `api`: an expired session sends the person back to the login form.
  function client(getToken, onExpired) {
    return async (method, path, body) => {
      try {
        return await request(method, path, body, getToken());
      } catch (error) {
        if (error.status === 401 && path !== "/auth/login") {
          onExpired();
          throw new ApiError(401, "Votre session a expiré : reconnectez-vous.");
        }
        throw error;
      }
    };
  }

  // Log in, keep the token for this tab (a reload stays logged in), return it.
  async function logIn(api, username, password, tokenKey) {
    const answer = await api("POST", "/auth/login", { username, password });
    sessionStorage.setItem(tokenKey, answer.access_token);
    return answer.access_token;
  }

  return { ApiError, client, logIn };
})();
