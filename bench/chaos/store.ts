/**
 * The store a chaos process (and the harness's producer) uses, by backend name: `sqlite` (target:
 * a file), `pg` / `mysql` (target: a URL) or `redis` (target: a URL).
 */
import type * as Layer from "effect/Layer"
import type { StoreError } from "../../src/errors.js"
import type { JobStore } from "../../src/stores/JobStore.js"
import * as RedisJobStore from "../../src/stores/RedisJobStore.js"
import * as SqlJobStore from "../../src/stores/sql/SqlJobStore.js"

/** The backends the harness knows. */
export const BACKENDS = ["pg", "sqlite", "mysql", "redis"] as const

/** A backend name. */
export type Backend = (typeof BACKENDS)[number]

/** The job store layer of a backend. */
export const storeLayer = (backend: string, target: string, prefix: string): Layer.Layer<JobStore, StoreError> => {
  switch (backend) {
    case "sqlite":
      return SqlJobStore.layerSqlite({ filename: target, tablePrefix: prefix })
    case "pg":
      return SqlJobStore.layerPg({ url: target, tablePrefix: prefix, maxConnections: 4 })
    case "mysql":
      return SqlJobStore.layerMysql({ url: target, tablePrefix: prefix, maxConnections: 4 })
    case "redis":
      return RedisJobStore.layer({ url: target, prefix })
    default:
      throw new Error(`unknown chaos backend "${backend}" (one of ${BACKENDS.join(", ")})`)
  }
}
