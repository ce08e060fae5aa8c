import { type RequestOptions, type Transport } from "./transport.js";

/** What `GET /v1/sys/health` reports. */
export interface Health {
  status: "ok" | "unavailable";
  storage?: string;
  detail?: string;
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
}
