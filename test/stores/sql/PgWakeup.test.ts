/**
 * PostgreSQL wake-up hints: a job a peer adds (pg_notify after the write, LISTEN in the running
 * scheduler) starts on time although the running scheduler polls only every minute.
 */
import { afterAll, describe, it } from "@effect/vitest"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { peerJobStartsOnTime } from "../../support/wakeupCase.js"
import { dropTables, PG_URL, pgClient, uniquePrefix } from "./helpers.js"

const prefix = uniquePrefix("wake")
afterAll(() => dropTables(pgClient(), prefix))

describe("PostgreSQL wake-up hints", () => {
  it.live("a job added by a peer starts on time in a scheduler that polls once a minute (LISTEN/NOTIFY)", () =>
    peerJobStartsOnTime(() => SqlJobStore.layerPg({ url: PG_URL, tablePrefix: prefix, maxConnections: 2 })), 30_000)
})
