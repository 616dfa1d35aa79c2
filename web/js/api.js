// Thin fetch wrapper: JSON in and out, the token header, the server's error message on failure.
export function token() {
  return localStorage.getItem("powermap.token") || "";
}

export async function api(path, { method = "GET", body, auth = true } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && token()) headers.Authorization = `Bearer ${token()}`;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = new Error(data?.error?.message || `${res.status}`);
    err.status = res.status;
    throw err;
  }
  return data;
}
