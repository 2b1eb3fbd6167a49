/**
 * The PostgreSQL pool the store configures: the session settings every connection gets. A client
 * cut off in the middle of a transaction (a blackholed network: the chaos harness's scenario F)
 * leaves its session idle in transaction, holding row locks that the peers' claims and recoveries
 * wait on, until `idle_in_transaction_session_timeout` ends it: 10 s by default (the default store
 * timeout), not PostgreSQL's "never" or the 60 s this store used before.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as SqlClient from "@effect/sql/SqlClient"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"

const url = "postgres://postgres@127.0.0.1:5432/test"
const setting = (name: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<{ readonly v: string }>(`SELECT current_setting('${name}') AS v`))

describe("PostgreSQL pool settings", () => {
  it.scopedLive("every connection ends a transaction left idle after 10 s and a statement after 30 s by default", () =>
    Effect.gen(function*() {
      const client = yield* SqlJobStore.pgClient({ url, maxConnections: 1 })
      const idle = yield* Effect.provideService(setting("idle_in_transaction_session_timeout"), SqlClient.SqlClient, client)
      const statement = yield* Effect.provideService(setting("statement_timeout"), SqlClient.SqlClient, client)
      expect([idle[0]!.v, statement[0]!.v]).toEqual(["10s", "30s"])
    }))

  it.scopedLive("the options set them", () =>
    Effect.gen(function*() {
      const client = yield* SqlJobStore.pgClient({ url, maxConnections: 1, idleInTransactionTimeoutMs: 2_500, statementTimeoutMs: 4_000 })
      const idle = yield* Effect.provideService(setting("idle_in_transaction_session_timeout"), SqlClient.SqlClient, client)
      const statement = yield* Effect.provideService(setting("statement_timeout"), SqlClient.SqlClient, client)
      expect([idle[0]!.v, statement[0]!.v]).toEqual(["2500ms", "4s"])
    }))
})
