// Server-Sent Events with the bearer token: EventSource cannot send an Authorization header,
// so the stream is read with fetch and parsed here (the `event:`/`data:` lines of the spec).
import { token } from "../api.js";

/**
 * Follows `path`; calls `onChange(data)` for each `change` event and `onStatus(live)` when
 * the stream opens or drops. Reconnects after a drop. Returns a function that stops it.
 */
export function followEvents(path, { onChange, onStatus }) {
  const controller = new AbortController();
  let stopped = false;
  const run = async () => {
    while (!stopped) {
      try {
        const res = await fetch(path, { headers: { Accept: "text/event-stream", Authorization: `Bearer ${token()}` }, signal: controller.signal });
        if (!res.ok || !res.body) throw new Error(String(res.status));
        onStatus(true);
        await read(res.body.getReader(), onChange);
      } catch {
        if (stopped) return;
      }
      onStatus(false);
      await new Promise((r) => setTimeout(r, 3000));
    }
  };
  run();
  return () => {
    stopped = true;
    controller.abort();
  };
}

async function read(reader, onChange) {
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split("\n");
      const event = lines.find((l) => l.startsWith("event:"))?.slice(6).trim() || "message";
      const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
      if (event === "change") {
        try {
          onChange(JSON.parse(data));
        } catch {
          onChange(null);
        }
      }
    }
  }
}
