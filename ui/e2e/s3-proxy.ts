// A counting proxy between the app and the local stack's S3 (moto), for what only the wire can
// prove: how fast the bytes really go (the speed limit), which requests start and finish around
// a pause, how many uploads run at once (the concurrency setting), and one fault no local server
// produces on demand: S3's AccessDenied for a write, as a bucket the user may not write to
// answers (moto runs without IAM enforcement). Everything else is forwarded untouched, streamed
// in both directions, so the app talks to the real server.
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type S3Op = "PutObject" | "UploadPart" | "CreateMultipartUpload" | "CompleteMultipartUpload" | "other";

/** One request the app made, as the proxy saw it. */
export interface SeenRequest {
  method: string;
  /** The object key (path-style: everything after the bucket). */
  key: string;
  op: S3Op;
  started: number;
  ended?: number;
  status?: number;
  bodyBytes: number;
}

/** The body bytes of upload requests, as they arrived. */
interface Arrival {
  at: number;
  bytes: number;
}

function operation(method: string, url: URL): S3Op {
  const q = url.searchParams;
  if (method === "PUT" && q.has("partNumber") && q.has("uploadId")) return "UploadPart";
  if (method === "PUT") return "PutObject";
  if (method === "POST" && q.has("uploads")) return "CreateMultipartUpload";
  if (method === "POST" && q.has("uploadId")) return "CompleteMultipartUpload";
  return "other";
}

/** The ones that send or commit bytes: what a pause holds. */
export const WRITES: readonly S3Op[] = ["PutObject", "UploadPart", "CreateMultipartUpload", "CompleteMultipartUpload"];

export class S3Proxy {
  readonly requests: SeenRequest[] = [];
  private arrivals: Arrival[] = [];
  private denied: ((key: string) => boolean) | null = null;
  private server: Server;
  private active = 0;
  /** The most uploads of originals (PutObject, UploadPart) in flight at once since the last reset. */
  maxConcurrentUploads = 0;

  private constructor(
    private upstream: URL,
    server: Server,
  ) {
    this.server = server;
  }

  /** A proxy on a free port of 127.0.0.1 in front of `upstream` (http://host:port). */
  static async start(upstream: string): Promise<S3Proxy> {
    const server = createServer();
    const proxy = new S3Proxy(new URL(upstream), server);
    server.on("request", (req, res) => proxy.handle(req, res));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answer writes of keys for which `match` holds with 403 AccessDenied; `null` to stop. */
  denyWrites(match: ((key: string) => boolean) | null): void {
    this.denied = match;
  }

  resetCounters(): void {
    this.maxConcurrentUploads = this.active;
  }

  /** Body bytes of uploads per second between `from` and `to` (ms, performance.now()). */
  rate(from: number, to: number): number {
    const bytes = this.arrivals.filter((a) => a.at >= from && a.at < to).reduce((n, a) => n + a.bytes, 0);
    return (bytes * 1000) / (to - from);
  }

  /** Body bytes of uploads received so far. */
  uploadedBytes(): number {
    return this.arrivals.reduce((n, a) => n + a.bytes, 0);
  }

  writes(): SeenRequest[] {
    return this.requests.filter((r) => WRITES.includes(r.op));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((ok) => this.server.close(ok));
  }

  private handle(req: IncomingMessage, res: import("node:http").ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://proxy");
    const method = req.method ?? "GET";
    const key = decodeURIComponent(url.pathname.split("/").slice(2).join("/"));
    const seen: SeenRequest = { method, key, op: operation(method, url), started: performance.now(), bodyBytes: 0 };
    this.requests.push(seen);
    // Uploads of originals: previews are written by the previewer alongside, whatever the
    // concurrency setting says about files.
    const upload = (seen.op === "PutObject" || seen.op === "UploadPart") && key.startsWith("originals/");
    if (upload) {
      this.active++;
      this.maxConcurrentUploads = Math.max(this.maxConcurrentUploads, this.active);
    }
    let finished = false;
    const finish = (status: number) => {
      if (finished) return;
      finished = true;
      seen.ended = performance.now();
      seen.status = status;
      if (upload) this.active--;
    };
    req.on("data", (chunk: Buffer) => {
      seen.bodyBytes += chunk.length;
      if (upload) this.arrivals.push({ at: performance.now(), bytes: chunk.length });
    });

    if (this.denied && WRITES.includes(seen.op) && this.denied(key)) {
      req.resume();
      req.on("end", () => {
        const body =
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message>' +
          `<Resource>/${key}</Resource><RequestId>e2e-proxy</RequestId></Error>`;
        res.writeHead(403, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
        res.end(body);
        finish(403);
      });
      return;
    }

    // Forwarded as it came, less Expect: this proxy has already said "continue" to the app.
    const headers = { ...req.headers };
    delete headers.expect;
    const up = request(
      { host: this.upstream.hostname, port: this.upstream.port, method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on("end", () => finish(answer.statusCode ?? 502));
      },
    );
    up.on("error", (e) => {
      finish(502);
      if (!res.headersSent) res.writeHead(502);
      res.end(String(e));
    });
    res.on("close", () => finish(res.statusCode));
    req.pipe(up);
  }
}
