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

/**
 * Drops what a harness run left in a network store (the tables `<prefix>_jobs`, `_runs`,
 * `_migrations`; the Redis keys `<prefix>:*`); a SQLite file goes with its folder.
 */
export const dropStore = async (backend: string, target: string, prefix: string): Promise<void> => {
  const tables = ["jobs", "runs", "migrations"].map((t) => `${prefix}_${t}`).join(", ")
  if (backend === "pg") {
    const pg = (await import("pg")).default
    const client = new pg.Client({ connectionString: target })
    await client.connect()
    try {
      await client.query(`DROP TABLE IF EXISTS ${tables}`)
    } finally {
      await client.end()
    }
  } else if (backend === "mysql") {
    const mysql = await import("mysql2/promise")
    const connection = await mysql.createConnection(target)
    try {
      await connection.query(`DROP TABLE IF EXISTS ${tables}`)
    } finally {
      await connection.end()
    }
  } else if (backend === "redis") {
    const { Redis } = await import("ioredis")
    const client = new Redis(target)
    try {
      let cursor = "0"
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000)
        if (keys.length > 0) await client.del(...keys)
        cursor = next
      } while (cursor !== "0")
    } finally {
      client.disconnect()
    }
  }
}
