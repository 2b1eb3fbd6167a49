/**
 * PostgreSQL wake-up hints: a job a peer adds (pg_notify in the write's own statement, LISTEN in
 * the running scheduler) starts on time although the running scheduler polls only every minute;
 * the hint comes with the write itself: one per write that changed a row, none for a refused one.
 */
import type * as PgClient from "@effect/sql-pg/PgClient"
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { JobStore } from "../../../src/stores/JobStore.js"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { peerJobStartsOnTime } from "../../support/wakeupCase.js"
import { makeJob } from "../jobStoreSuite.js"
import { dropTables, PG_URL, pgClient, uniquePrefix } from "./helpers.js"

const prefix = uniquePrefix("wake")
const hintPrefix = uniquePrefix("hint")
afterAll(() => Promise.all([dropTables(pgClient(), prefix), dropTables(pgClient(), hintPrefix)]))

describe("PostgreSQL wake-up hints", () => {
  it.live("a job added by a peer starts on time in a scheduler that polls once a minute (LISTEN/NOTIFY)", () =>
    peerJobStartsOnTime(() => SqlJobStore.layerPg({ url: PG_URL, tablePrefix: prefix, maxConnections: 2 })), 30_000)

  it.live("a user write sends its hint in its own statement: one per changed row, none for a refused write, a 9,000-character id too", () =>
    Effect.gen(function*() {
      const listener = (yield* pgClient()) as unknown as PgClient.PgClient
      const store = yield* JobStore
      const long = `long-${"x".repeat(9000)}`
      const hints = yield* listener.listen(`${hintPrefix}_wakeup`).pipe(Stream.take(4), Stream.runCollect, Effect.fork)
      yield* Effect.sleep("1 second") // LISTEN in place
      yield* store.add(makeJob("a", 1_000), false)
      expect(Exit.isFailure(yield* Effect.exit(store.add(makeJob("a", 2_000), false)))).toBe(true) // duplicate: refused
      expect(Exit.isFailure(yield* Effect.exit(store.update(makeJob("missing", 3_000))))).toBe(true) // no row: refused
      yield* store.add(makeJob(long, 4_000), false) // the payload limit (8,000 bytes) never fails the write
      yield* store.update(makeJob("a", 5_000))
      yield* store.add(makeJob("a", 6_000), true)
      const got = Chunk.toReadonlyArray(yield* Fiber.join(hints).pipe(Effect.timeout("10 seconds")))
      expect(got).toEqual(["a", long.slice(0, 200), "a", "a"])
      expect(Option.getOrThrow(yield* store.lookup(long)).id).toBe(long)
    }).pipe(
      Effect.provide(Layer.fresh(SqlJobStore.layerPg({ url: PG_URL, tablePrefix: hintPrefix, maxConnections: 2 }))),
      Effect.scoped
    ), 30_000)
})
