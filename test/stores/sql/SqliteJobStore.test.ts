import * as path from "node:path"
import * as fs from "node:fs"
import { afterAll } from "@effect/vitest"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { suite } from "../jobStoreSuite.js"
import { tempDir, uniquePrefix } from "./helpers.js"

const dir = tempDir("sqlite")
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

suite("SqlJobStore (SQLite, in memory)", SqlJobStore.layerSqlite({ filename: ":memory:", tablePrefix: uniquePrefix("mem") }))
suite(
  "SqlJobStore (SQLite, file)",
  SqlJobStore.layerSqlite({ filename: path.join(dir, "suite.sqlite"), tablePrefix: uniquePrefix("file") })
)
