/**
 * The bare-driver floor of the due-query benchmark: the least SQL a claim of `due` jobs needs,
 * written with the raw driver (better-sqlite3, node-postgres, mysql2) in one transaction: one
 * `SELECT` of the due rows (PostgreSQL, MariaDB: `FOR UPDATE SKIP LOCKED`), one batched `INSERT`
 * of one run row each and one batched `UPDATE` of the jobs (moved on by an hour, lease cleared).
 * Nothing is decoded or checked. Each round is timed alone; the jobs are made due again (not
 * timed) with new scheduled times, so every round inserts new run keys.
 */
import * as mysql from "mysql2/promise"
import { createRequire } from "node:module"
import pg from "pg"
import { tables } from "../src/stores/sql/migrations.js"

const HOUR = 3_600_000

interface Sqlite {
  exec(sql: string): void
  pragma(sql: string): unknown
  prepare(sql: string): { all(...args: Array<unknown>): Array<Record<string, unknown>>; run(...args: Array<unknown>): unknown }
  close(): void
}

const runColumns = "job_id, scheduled_time, recorded_at, state, fence, attempt, acquired_by, acquired_until, miss_count, last_time"

/** The floor in ms per round (`rounds` rounds), for one backend, over the jobs table of `prefix`. */
export const floorRounds = async (
  backend: "sqlite" | "postgres" | "mariadb",
  target: string,
  prefix: string,
  due: number,
  rounds: number
): Promise<Array<number>> => {
  const t = tables(prefix)
  const times: Array<number> = []
  const now = Date.now()
  const until = now + 30_000
  const select = (lock: string, q: (i: number) => string) =>
    `SELECT id, next_run_time, data, version, fence_seq, acquired_by, acquired_until FROM ${t.jobs} WHERE next_run_time <= ${
      q(1)
    } AND (acquired_until IS NULL OR acquired_until <= ${q(2)}) AND quarantined IS NULL ORDER BY next_run_time, id LIMIT ${due}${lock}`
  if (backend === "sqlite") {
    const Database = createRequire(import.meta.url)("better-sqlite3") as new(file: string) => Sqlite
    const db = new Database(target)
    db.pragma("journal_mode = WAL")
    db.pragma("synchronous = NORMAL")
    db.pragma("busy_timeout = 5000")
    db.pragma("wal_autocheckpoint = 4000") // as the store sets it
    const sel = db.prepare(select("", () => "?"))
    const ins = db.prepare(
      `INSERT INTO ${t.runs} (${runColumns}) SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?, 'ready', json_extract(value, '$[2]'), 1, 'floor', ?, 1, json_extract(value, '$[1]') FROM json_each(?)`
    )
    const upd = db.prepare(
      `UPDATE ${t.jobs} SET next_run_time = next_run_time + ${HOUR}, fence_seq = fence_seq + 1, acquired_by = NULL, acquired_until = NULL WHERE id IN (SELECT value FROM json_each(?))`
    )
    const reset = db.prepare(`UPDATE ${t.jobs} SET next_run_time = next_run_time - ${2 * HOUR} WHERE id IN (SELECT value FROM json_each(?))`)
    for (let r = 0; r < rounds; r++) {
      const start = performance.now()
      db.exec("BEGIN IMMEDIATE")
      const rows = sel.all(now, now)
      ins.run(now, until, JSON.stringify(rows.map((x) => [x.id, x.next_run_time, Number(x.fence_seq) + 1])))
      upd.run(JSON.stringify(rows.map((x) => x.id)))
      db.exec("COMMIT")
      times.push(performance.now() - start)
      if (rows.length !== due) throw new Error(`sqlite floor: ${rows.length} due rows, expected ${due}`)
      reset.run(JSON.stringify(rows.map((x) => x.id)))
    }
    db.close()
    return times
  }
  if (backend === "postgres") {
    const client = new pg.Client({ connectionString: target })
    await client.connect()
    try {
      for (let r = 0; r < rounds; r++) {
        const start = performance.now()
        await client.query("BEGIN")
        const { rows } = await client.query(select(" FOR UPDATE SKIP LOCKED", (i) => `$${i}`), [now, now])
        await client.query(
          `INSERT INTO ${t.runs} (${runColumns}) SELECT u.id, u.t, $4, 'ready', u.f, 1, 'floor', $5, 1, u.t FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(id, t, f)`,
          [rows.map((x) => x.id), rows.map((x) => x.next_run_time), rows.map((x) => Number(x.fence_seq) + 1), now, until]
        )
        await client.query(
          `UPDATE ${t.jobs} SET next_run_time = next_run_time + ${HOUR}, fence_seq = fence_seq + 1, acquired_by = NULL, acquired_until = NULL WHERE id = ANY($1)`,
          [rows.map((x) => x.id)]
        )
        await client.query("COMMIT")
        times.push(performance.now() - start)
        if (rows.length !== due) throw new Error(`postgres floor: ${rows.length} due rows, expected ${due}`)
        await client.query(`UPDATE ${t.jobs} SET next_run_time = next_run_time - ${2 * HOUR} WHERE id = ANY($1)`, [rows.map((x) => x.id)])
      }
    } finally {
      await client.end()
    }
    return times
  }
  const conn = await mysql.createConnection({ uri: target, supportBigNumbers: true, bigNumberStrings: false })
  try {
    await conn.query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
    for (let r = 0; r < rounds; r++) {
      const start = performance.now()
      await conn.query("START TRANSACTION")
      const [rows] = await conn.query(select(" FOR UPDATE SKIP LOCKED", () => "?"), [now, now]) as unknown as [
        Array<Record<string, unknown>>
      ]
      await conn.query(`INSERT INTO ${t.runs} (${runColumns}) VALUES ?`, [
        rows.map((x) => [x.id, x.next_run_time, now, "ready", Number(x.fence_seq) + 1, 1, "floor", until, 1, x.next_run_time])
      ])
      await conn.query(
        `UPDATE ${t.jobs} SET next_run_time = next_run_time + ${HOUR}, fence_seq = fence_seq + 1, acquired_by = NULL, acquired_until = NULL WHERE id IN (?)`,
        [rows.map((x) => x.id)]
      )
      await conn.query("COMMIT")
      times.push(performance.now() - start)
      if (rows.length !== due) throw new Error(`mariadb floor: ${rows.length} due rows, expected ${due}`)
      await conn.query(`UPDATE ${t.jobs} SET next_run_time = next_run_time - ${2 * HOUR} WHERE id IN (?)`, [rows.map((x) => x.id)])
    }
  } finally {
    await conn.end()
  }
  return times
}
