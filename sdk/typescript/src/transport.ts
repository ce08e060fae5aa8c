import { AnimaConnectionError, AnimaError, AnimaTimeoutError, apiError, type Problem } from "./errors.js";

/** Options of the {@link Anima} client. */
export interface AnimaOptions {
  /** The vault's address; default `ANIMA_VAULT_ADDR` from the environment, else `http://127.0.0.1:8200`. */
  baseUrl?: string;
  /** Per-attempt timeout in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** How often an idempotent call is retried after 429 or 503 (default 2; 0 disables retries). */
  maxRetries?: number;
  /** First backoff delay in milliseconds, doubled on each retry with jitter (default 250). */
  retryBaseDelayMs?: number;
  /** Upper bound of one wait, also for a server's `Retry-After` (default 30 000). */
  maxRetryDelayMs?: number;
  /** The fetch implementation (default: the platform's global `fetch`). */
  fetch?: typeof fetch;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

/** Per-call options every method accepts as its last argument. */
export interface RequestOptions {
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
  /** Sent as `X-Request-Id` (1–64 of `[A-Za-z0-9._-]`); audit events record it. */
  requestId?: string;
}

/** One HTTP call, as the resources describe it. */
export interface Call {
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  path: string;
  query?: Record<string, string | number | boolean | undefined | null>;
  body?: unknown;
  /**
   * Whether repeating the call is harmless, so it may be retried after 429/503. GET and DELETE are;
   * POST and PUT here create resources or versions and are not, unless a call says otherwise.
   */
  idempotent?: boolean;
  options?: RequestOptions;
  /** Return the body as text instead of parsing it as JSON (reports in CSV or HTML). */
  text?: boolean;
}

export const DEFAULT_BASE_URL = "http://127.0.0.1:8200";

function env(name: string): string | undefined {
  // Node, Bun and Deno (with --allow-env) expose process.env; browsers have no environment.
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[name];
  return value === undefined || value === "" ? undefined : value;
}

/** Encodes one path segment (identity ids, secret keys, token ids). */
export function seg(value: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError("a path parameter must be a non-empty string");
  }
  return encodeURIComponent(value);
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
  if (signal?.aborted) {
    reject(signal.reason);
    return;
  }
  const timer = setTimeout(() => {
    signal?.removeEventListener("abort", onAbort);
    resolve();
  }, ms);
  const onAbort = () => {
    clearTimeout(timer);
    reject(signal!.reason);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
});

/** Seconds (`Retry-After: 3`) or an HTTP date; undefined if absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") {
    return undefined;
  }
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) {
    return Number(trimmed) * 1000;
  }
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Sends calls to the vault: authentication, JSON, timeouts, retries with backoff and problem+json
 * errors. One instance per client; safe to use from concurrent calls.
 */
export class Transport {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #fetch: typeof fetch;
  readonly #headers: Record<string, string>;

  constructor(apiKey: string | undefined, options: AnimaOptions = {}) {
    const key = apiKey ?? env("ANIMA_VAULT_TOKEN");
    if (typeof key !== "string" || key.trim() === "") {
      throw new AnimaError("no API key: pass one to new Anima(apiKey) or set ANIMA_VAULT_TOKEN");
    }
    this.#apiKey = key.trim();
    this.baseUrl = (options.baseUrl ?? env("ANIMA_VAULT_ADDR") ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.#timeoutMs = nonNegative(options.timeoutMs, 30_000, "timeoutMs");
    this.#maxRetries = nonNegative(options.maxRetries, 2, "maxRetries");
    this.#baseDelayMs = nonNegative(options.retryBaseDelayMs, 250, "retryBaseDelayMs");
    this.#maxDelayMs = nonNegative(options.maxRetryDelayMs, 30_000, "maxRetryDelayMs");
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== "function") {
      throw new AnimaError("no fetch implementation: this platform has no global fetch; pass options.fetch");
    }
    this.#fetch = f.bind(globalThis);
    this.#headers = { ...(options.headers ?? {}) };
  }

  /** Sends a call and returns its parsed JSON body (undefined for 204). */
  async request<T>(call: Call): Promise<T> {
    const url = this.#url(call);
    const idempotent = call.idempotent ?? (call.method === "GET" || call.method === "DELETE");
    const attempts = idempotent ? this.#maxRetries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      const response = await this.#send(call, url);
      if ((response.status === 429 || response.status === 503) && attempt < attempts) {
        const wait = this.#delay(attempt, response.headers.get("retry-after"));
        await response.body?.cancel().catch(() => undefined);
        await sleep(wait, call.options?.signal);
        continue;
      }
      return this.#read<T>(call, response);
    }
  }

  #url(call: Call): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined && value !== null) {
        params.append(name, String(value));
      }
    }
    const query = params.toString();
    return this.baseUrl + call.path + (query ? `?${query}` : "");
  }

  #delay(attempt: number, retryAfter: string | null): number {
    const fromServer = retryAfterMs(retryAfter);
    const backoff = this.#baseDelayMs * 2 ** (attempt - 1);
    const jittered = backoff / 2 + Math.random() * (backoff / 2);
    return Math.min(this.#maxDelayMs, fromServer ?? jittered);
  }

  async #send(call: Call, url: string): Promise<Response> {
    const headers: Record<string, string> = {
      ...this.#headers,
      Accept: "application/json, application/problem+json",
      Authorization: `Bearer ${this.#apiKey}`,
    };
    if (call.options?.requestId) {
      headers["X-Request-Id"] = call.options.requestId;
    }
    let body: string | undefined;
    if (call.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(call.body);
    }
    const timeoutMs = call.options?.timeoutMs ?? this.#timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = call.options?.signal ? anySignal([call.options.signal, timeout]) : timeout;
    try {
      return await this.#fetch(url, { method: call.method, headers, body, signal });
    } catch (e) {
      if (timeout.aborted && !call.options?.signal?.aborted) {
        throw new AnimaTimeoutError(`${call.method} ${call.path} timed out after ${timeoutMs} ms`, { cause: e });
      }
      if (call.options?.signal?.aborted) {
        throw e;
      }
      throw new AnimaConnectionError(`${call.method} ${call.path} could not reach ${this.baseUrl}: ${describe(e)}`,
        { cause: e });
    }
  }

  async #read<T>(call: Call, response: Response): Promise<T> {
    const requestId = response.headers.get("x-request-id") ?? undefined;
    if (response.ok) {
      if (response.status === 204) {
        return undefined as T;
      }
      const text = await response.text();
      if (call.text) {
        return text as T;
      }
      return (text === "" ? undefined : JSON.parse(text)) as T;
    }
    let problem: Problem = {};
    const text = await response.text().catch(() => "");
    try {
      const parsed: unknown = text === "" ? {} : JSON.parse(text);
      if (parsed !== null && typeof parsed === "object") {
        problem = parsed as Problem;
      }
    } catch {
      problem = { title: response.statusText };
    }
    throw apiError(response.status, problem, call.method, call.path, requestId);
  }
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isFinite(value) || value < 0) {
    throw new AnimaError(`option ${name} must be a non-negative number`);
  }
  return value;
}

function anySignal(signals: AbortSignal[]): AbortSignal {
  const any = (AbortSignal as unknown as { any?: (s: AbortSignal[]) => AbortSignal }).any;
  if (any) {
    return any(signals);
  }
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener("abort", () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}

function describe(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
}
