import { type RequestOptions, type Transport } from "./transport.js";

/** What `GET /v1/sys/health` reports. */
export interface Health {
  /** `degraded`: serving, but something needs attention (see `problems`). */
  status: "ok" | "degraded" | "unavailable";
  storage?: string;
  /** One entry per check: storage through the backend, and each audit sink. */
  checks?: {
    storage: HealthCheck;
    audit: HealthCheck[];
  };
  /** One sentence per thing wrong; never a path or a host. */
  problems?: string[];
  detail?: string;
}

/** One check of `GET /v1/sys/health`. */
export interface HealthCheck {
  type: string;
  status: "ok" | "degraded" | "unavailable";
  detail?: string;
}

/** An installed plugin and the providers it contributes (`GET /v1/sys/plugins`). */
export interface PluginInfo {
  id: string;
  version: string;
  storageBackends: string[];
  credentialTypes: string[];
  auditSinks: string[];
  /** false: installed but skipped, the server's configuration uses none of its providers. */
  loaded: boolean;
}

/** `/v1/sys`: the server's own state. */
export class Sys {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** `status: "ok"` when storage answers; a vault whose storage is down throws a 503 `ServerError`. */
  health(options?: RequestOptions): Promise<Health> {
    return this.#t.request({ method: "GET", path: "/v1/sys/health", options });
  }

  /** The installed plugins, loaded or not (organization API key). */
  async plugins(options?: RequestOptions): Promise<PluginInfo[]> {
    const page = await this.#t.request<{ items: PluginInfo[] }>({ method: "GET", path: "/v1/sys/plugins", options });
    return page.items;
  }
}
