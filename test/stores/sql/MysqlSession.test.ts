/**
 * The MariaDB session setting of the store's transactions. A client cut off in the middle of a
 * transaction (a blackholed network: the chaos harness's scenario F, found on PostgreSQL) leaves
 * its session inside the transaction, holding row locks that the peers' claims and recoveries wait
 * on or skip, until the server ends it: `idle_transaction_timeout`, which every store transaction
 * sets (10 s by default, `idleInTransactionTimeoutMs`), not `wait_timeout` (8 hours by default).
 * MySQL 8 has no such setting (not tested here: no MySQL 8 server on this machine).
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { startTcpProxy } from "../../support/tcpProxy.js"
import { dropTables, MYSQL_URL, mysqlClient, uniquePrefix } from "./helpers.js"

const prefix = uniquePrefix("mysess")
const lockTable = `${prefix}_lock`
afterAll(async () => {
  await dropTables(mysqlClient(), prefix)
  await Effect.runPromise(Effect.scoped(Effect.flatMap(mysqlClient(), (sql) => sql.unsafe(`DROP TABLE IF EXISTS ${lockTable}`))))
})

/**
 * A store on `client` (with `idleInTransactionTimeoutMs`, as `makeMysql` passes it) claims (a
 * transaction on the client's one connection), then reads the connection's setting.
 */
const settingAfterAClaim = (client: SqlClient.SqlClient, idleInTransactionTimeoutMs: number | undefined) =>
  Effect.gen(function*() {
    const store = yield* Effect.provideService(
      SqlJobStore.make({ tablePrefix: prefix, clock: "effect", idleInTransactionTimeoutMs }),
      SqlClient.SqlClient,
      client
    )
    yield* store.acquire({ owner: "session-test", limit: 1, leaseMs: 1_000 })
    const [row] = yield* client.unsafe<{ readonly v: unknown }>("SELECT @@SESSION.idle_transaction_timeout AS v")
    return Number(row!.v)
  })

describe("MariaDB transaction sessions", () => {
  it.scopedLive("a store transaction's connection ends a transaction left idle after the option's seconds (rounded up), never when 0", () =>
    Effect.gen(function*() {
      const values: Array<number> = []
      for (const idleInTransactionTimeoutMs of [10_000, 2_500, 0]) {
        const client = yield* SqlJobStore.mysqlClient({ url: MYSQL_URL, maxConnections: 1 })
        values.push(yield* settingAfterAClaim(client, idleInTransactionTimeoutMs))
      }
      expect(values).toEqual([10, 3, 0])
    }))

  it.scopedLive("a store over a client assigns nothing onto it: its own keys stay those of an @effect/sql-mysql2 client", () =>
    Effect.gen(function*() {
      const { make } = yield* Effect.promise(() => import("@effect/sql-mysql2/MysqlClient"))
      const plain = yield* make({ url: Redacted.make(MYSQL_URL), maxConnections: 1 }).pipe(Effect.provide(Reactivity.layer))
      const client = yield* SqlJobStore.mysqlClient({ url: MYSQL_URL, maxConnections: 1 })
      const setting = yield* settingAfterAClaim(client, 2_000)
      expect(Reflect.ownKeys(client)).toEqual(Reflect.ownKeys(plain))
      expect(setting).toBe(2)
    }))

  it.scopedLive("a negative idleInTransactionTimeoutMs is refused, naming the option (makeMysql before connecting, make too)", () =>
    Effect.gen(function*() {
      // an unreachable server: the option is refused at once, not after the start's retries
      const unreachable = yield* Effect.flip(SqlJobStore.makeMysql({ url: "mysql://root@127.0.0.1:1/test", idleInTransactionTimeoutMs: -1 }))
      const client = yield* SqlJobStore.mysqlClient({ url: MYSQL_URL, maxConnections: 1 })
      const over = yield* Effect.flip(
        Effect.provideService(SqlJobStore.make({ tablePrefix: prefix, idleInTransactionTimeoutMs: -1 }), SqlClient.SqlClient, client)
      )
      for (const error of [unreachable, over]) {
        expect([error.operation, error.reason]).toEqual(["configure", expect.stringContaining("idleInTransactionTimeoutMs")])
      }
    }))

  it.scopedLive("a client blackholed inside a transaction that locks a row: the server frees the row within the 2 s timeout", () =>
    Effect.gen(function*() {
      const direct = yield* mysqlClient()
      yield* direct.unsafe(`CREATE TABLE IF NOT EXISTS ${lockTable} (id INT PRIMARY KEY)`)
      yield* direct.unsafe(`INSERT IGNORE INTO ${lockTable} VALUES (1)`)
      const target = new URL(MYSQL_URL)
      const proxy = yield* Effect.acquireRelease(
        Effect.promise(() => startTcpProxy("127.0.0.1", Number(target.port || 3306))),
        (p) => Effect.promise(() => p.close())
      )
      const url = new URL(MYSQL_URL)
      url.hostname = "127.0.0.1"
      url.port = String(proxy.port)
      // one connection: the store's claim sets it up, then the test's transaction runs on it
      const client = yield* SqlJobStore.mysqlClient({ url: url.href, maxConnections: 1 })
      expect(yield* settingAfterAClaim(client, 2_000)).toBe(2)
      const conn = yield* client.reserve
      yield* conn.executeUnprepared(`START TRANSACTION; SELECT id FROM ${lockTable} WHERE id = 1 FOR UPDATE`, [], undefined)
      proxy.blackhole()
      const locked = direct.unsafe(`SELECT id FROM ${lockTable} WHERE id = 1 FOR UPDATE NOWAIT`).pipe(Effect.either)
      const start = Date.now()
      const first = yield* locked
      let freedAfterMs: number | undefined
      while (Date.now() - start < 8_000) {
        if (Either.isRight(yield* locked)) {
          freedAfterMs = Date.now() - start
          break
        }
        yield* Effect.sleep("100 millis")
      }
      // held when the network went silent; freed by the server after 2 s idle (not 8 hours)
      expect(Either.isLeft(first)).toBe(true)
      expect(freedAfterMs).toBeGreaterThanOrEqual(1_500)
      expect(freedAfterMs).toBeLessThan(4_500)
    }), 20_000)
})
