/** A signed-in API session for seeding and for tests that prepare data through the API. */
import { type APIRequestContext, type APIResponse, request } from '@playwright/test';

export class ApiSession {
  private constructor(readonly ctx: APIRequestContext) {}

  static async signIn(baseURL: string, email: string, password: string): Promise<ApiSession> {
    // A browser sends Origin with every write; the gateway refuses cookie-authenticated
    // writes without a matching one (CSRF_ORIGIN_MISMATCH), so this client sends it too.
    const ctx = await request.newContext({ baseURL, extraHTTPHeaders: { origin: new URL(baseURL).origin } });
    const res = await ctx.post('/api/v1/auth/login', { data: { email, password } });
    if (!res.ok()) throw new Error(`sign-in of ${email} failed: ${res.status()} ${await res.text()}`);
    return new ApiSession(ctx);
  }

  async json<T = Record<string, unknown>>(res: APIResponse, what: string): Promise<T> {
    if (!res.ok()) throw new Error(`${what}: ${res.status()} ${await res.text()}`);
    return (res.status() === 204 ? undefined : await res.json()) as T;
  }

  get<T = Record<string, unknown>>(url: string, params?: Record<string, string | number | boolean>): Promise<T> {
    return this.ctx.get(url, params ? { params } : {}).then((r) => this.json<T>(r, `GET ${url}`));
  }

  post<T = Record<string, unknown>>(url: string, data?: unknown): Promise<T> {
    return this.ctx.post(url, { data: data ?? {} }).then((r) => this.json<T>(r, `POST ${url}`));
  }

  put<T = Record<string, unknown>>(url: string, data: unknown): Promise<T> {
    return this.ctx.put(url, { data }).then((r) => this.json<T>(r, `PUT ${url}`));
  }

  delete(url: string): Promise<APIResponse> {
    return this.ctx.delete(url);
  }

  async upload(kbId: string, name: string, body: string | Buffer, mimeType: string): Promise<{ id: string }> {
    const res = await this.ctx.post(`/api/v1/knowledge-bases/${kbId}/documents`, {
      multipart: { file: { name, mimeType, buffer: Buffer.isBuffer(body) ? body : Buffer.from(body) } },
    });
    return this.json<{ id: string }>(res, `upload ${name}`);
  }

  /** Polls a document until its status is one of `statuses` (the worker runs asynchronously). */
  async waitForDocument(kbId: string, docId: string, statuses: string[], timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const doc = await this.get<{ status: string }>(`/api/v1/knowledge-bases/${kbId}/documents/${docId}`);
      if (statuses.includes(doc.status)) return doc.status;
      if (Date.now() > deadline)
        throw new Error(`document ${docId} stayed ${doc.status} (wanted ${statuses.join('/')})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  dispose(): Promise<void> {
    return this.ctx.dispose();
  }
}
