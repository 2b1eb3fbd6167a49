import { afterAll } from "@effect/vitest"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { suite } from "../jobStoreSuite.js"
import { dropTables, PG_URL, pgClient, uniquePrefix } from "./helpers.js"

const prefix = uniquePrefix("pg")
afterAll(() => dropTables(pgClient(), prefix))

suite("SqlJobStore (PostgreSQL)", SqlJobStore.layerPg({ url: PG_URL, tablePrefix: prefix, maxConnections: 2, clock: "effect" }))
