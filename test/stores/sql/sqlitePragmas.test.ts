/**
 * The settings a SQLite file client opens with: WAL, `synchronous = NORMAL` by default, and a
 * WAL checkpoint every 4,000 pages (SQLite's default, 1,000, checkpointed inside almost every
 * commit of a 1,000-job claim).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { tempDir } from "./helpers.js"

const pragma = (name: string) =>
  Effect.gen(function*() {
    const dir = tempDir("pragmas")
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    const sql = yield* SqlJobStore.sqliteClient({ filename: path.join(dir, "p.sqlite") })
    const rows = yield* sql.unsafe(`PRAGMA ${name}`)
    return Object.values(rows[0] ?? {})[0]
  })

describe("SQLite file client settings", () => {
  it.scoped("journal_mode is WAL", () => Effect.map(pragma("journal_mode"), (v) => expect(String(v).toLowerCase()).toBe("wal")))

  it.scoped("synchronous is NORMAL (1) by default", () => Effect.map(pragma("synchronous"), (v) => expect(Number(v)).toBe(1)))

  it.scoped("wal_autocheckpoint is 4,000 pages (not SQLite's default 1,000)", () =>
    Effect.map(pragma("wal_autocheckpoint"), (v) => expect(Number(v)).toBe(4000)))
})
