/**
 * The Lua scripts of the Redis job store: each claiming primitive (`acquire`, `release`,
 * `complete`) and each user write is one script, so every step is atomic on the server. They
 * read the time with `TIME` unless the caller passes its `now` (the store's `clock: "effect"`).
 *
 * Keys under a prefix `P` (see `RedisJobStore`):
 * - `P:jobs` hash id → the job's JSON record; `P:next` hash id → next run time (absent: paused);
 *   `P:version`, `P:fence` (fenceSeq), `P:lease_owner`, `P:lease_until`, `P:quarantine` hashes
 *   id → column; `P:due` sorted set id → effective due time = max(next run time, lease end) of
 *   the scheduled, not quarantined jobs; `P:fence_max` hash id → the greatest fence given.
 * - `P:runs:<jobId>` hash scheduled time → the run as JSON; `P:live:<jobId>` sorted set of the
 *   job's live runs (score: lease end, `+inf` while held until completed); `P:ended` sorted set
 *   `<scheduledTime>|<jobId>` → end time (the purge's index).
 * - `P:memo:<token>` the answer of a claim, kept a short while, so a call whose reply was lost
 *   (connection cut) is answered again instead of being applied twice; `P:schema` the persisted
 *   schema version.
 */

/** The fixed keys every script gets, in this order (KEYS[1..11]). */
export const KEY_NAMES = [
  "jobs",
  "next",
  "version",
  "fence",
  "lease_owner",
  "lease_until",
  "quarantine",
  "due",
  "fence_max",
  "schema",
  "ended"
] as const

const HEADER = `
local K_JOBS, K_NEXT, K_VERSION, K_FENCE, K_OWNER, K_UNTIL, K_QUAR, K_DUE, K_FMAX, K_SCHEMA, K_ENDED =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- the exact integer text of a number (tostring would write 1.7e+12 style for some values)
local function s(n) return string.format('%.0f', n) end
local function schema_error()
  local v = redis.call('GET', K_SCHEMA)
  if v == false then
    redis.call('SET', K_SCHEMA, '1')
  elseif tonumber(v) == nil or tonumber(v) > 1 then
    return 'SCHEMA the store holds persisted schema version ' .. tostring(v) .. ', newer than this version knows (1): refusing to write'
  end
  return nil
end
-- the due score of a scheduled job: its next run time, or the end of its lease when later
local function rescore(id)
  local n = redis.call('HGET', K_NEXT, id)
  if n == false or redis.call('HEXISTS', K_QUAR, id) == 1 then
    redis.call('ZREM', K_DUE, id)
    return
  end
  local score = tonumber(n)
  local u = redis.call('HGET', K_UNTIL, id)
  if u ~= false and tonumber(u) > score then score = tonumber(u) end
  redis.call('ZADD', K_DUE, s(score), id)
end
local function clear_lease(id)
  redis.call('HDEL', K_OWNER, id)
  redis.call('HDEL', K_UNTIL, id)
end
-- variadic commands in chunks (Lua's unpack has a stack limit)
local function bulk(cmd, key, list)
  local out = {}
  for i = 1, #list, 2000 do
    local r = redis.call(cmd, key, unpack(list, i, math.min(i + 1999, #list)))
    if type(r) == 'table' then for _, v in ipairs(r) do out[#out + 1] = v end end
  end
  return out
end
local function hmget(key, ids)
  local out = {}
  for i = 1, #ids, 2000 do
    local r = redis.call('HMGET', key, unpack(ids, i, math.min(i + 1999, #ids)))
    for j = 1, (math.min(i + 1999, #ids) - i + 1) do out[#out + 1] = r[j] end
  end
  return out
end
`

/**
 * User writes. ARGV: mode (`insert` | `upsert` | `update`), id, next run time (`''`: paused),
 * data. Returns `OK`, `CONFLICT` (insert of an existing id) or `MISSING` (update of an absent or
 * quarantined id).
 */
export const WRITE = HEADER + `
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local mode, id, nxt, data = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local exists = redis.call('HEXISTS', K_JOBS, id) == 1
if mode == 'insert' and exists then return 'CONFLICT' end
if mode == 'update' and ((not exists) or redis.call('HEXISTS', K_QUAR, id) == 1) then return 'MISSING' end
redis.call('HSET', K_JOBS, id, data)
if exists then
  redis.call('HINCRBY', K_VERSION, id, 1)
  redis.call('HDEL', K_QUAR, id)
else
  redis.call('HSET', K_VERSION, id, 1)
  local fmax = redis.call('HGET', K_FMAX, id)
  redis.call('HSET', K_FENCE, id, fmax or 0)
  clear_lease(id)
  redis.call('HDEL', K_QUAR, id)
end
if nxt == '' then redis.call('HDEL', K_NEXT, id) else redis.call('HSET', K_NEXT, id, nxt) end
rescore(id)
return 'OK'
`

/** Deletes a job row (quarantined or not); its runs stay. ARGV: id. Returns 1 when it existed. */
export const DELETE = HEADER + `
local id = ARGV[1]
local n = redis.call('HDEL', K_JOBS, id)
for _, k in ipairs({K_NEXT, K_VERSION, K_FENCE, K_OWNER, K_UNTIL, K_QUAR}) do redis.call('HDEL', k, id) end
redis.call('ZREM', K_DUE, id)
return n
`

/** Deletes every job row; the runs stay. */
export const DELETE_ALL = HEADER + `
redis.call('DEL', K_JOBS, K_NEXT, K_VERSION, K_FENCE, K_OWNER, K_UNTIL, K_QUAR, K_DUE)
return 'OK'
`

/** One job row's columns. ARGV: id. */
export const SELECT = HEADER + `
local id = ARGV[1]
return {
  redis.call('HGET', K_JOBS, id), redis.call('HGET', K_NEXT, id), redis.call('HGET', K_VERSION, id),
  redis.call('HGET', K_FENCE, id), redis.call('HGET', K_OWNER, id), redis.call('HGET', K_UNTIL, id),
  redis.call('HEXISTS', K_QUAR, id)
}
`

/** Keeps a row aside. ARGV: id, reason. */
export const QUARANTINE = HEADER + `
local id = ARGV[1]
if redis.call('HEXISTS', K_JOBS, id) == 0 then return 0 end
redis.call('HSET', K_QUAR, id, ARGV[2])
clear_lease(id)
redis.call('ZREM', K_DUE, id)
return 1
`

/**
 * acquire. ARGV: now (\`''\`: Redis TIME), owner, limit, lease ms, prefix, token, memo ttl (s).
 * Returns { now, until, ids, datas, nexts, versions, fences }.
 */
export const ACQUIRE = HEADER + `
local now = clock(ARGV[1])
local owner, limit, lease, prefix, token, ttl = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
local memo_key = prefix .. ':memo:' .. token
local ids, untl
local memo = redis.call('GET', memo_key)
if memo ~= false then
  -- a retry of a call that was applied: the rows it leased that are still ours
  local m = cjson.decode(memo)
  now, untl = m[1], m[2]
  ids = {}
  for i = 3, #m do
    local id = m[i]
    if redis.call('HGET', K_OWNER, id) == owner and redis.call('HGET', K_UNTIL, id) == s(untl) then ids[#ids + 1] = id end
  end
else
  local bad = schema_error()
  if bad then return redis.error_reply(bad) end
  untl = now + lease
  ids = {}
  if limit > 0 then
    local cand = redis.call('ZRANGEBYSCORE', K_DUE, '-inf', s(now), 'LIMIT', 0, limit)
    for _, id in ipairs(cand) do
      if redis.call('HEXISTS', K_JOBS, id) == 1 then ids[#ids + 1] = id else redis.call('ZREM', K_DUE, id) end
    end
  end
  if #ids > 0 then
    local owners, untils, scores = {}, {}, {}
    for _, id in ipairs(ids) do
      owners[#owners + 1] = id; owners[#owners + 1] = owner
      untils[#untils + 1] = id; untils[#untils + 1] = s(untl)
      scores[#scores + 1] = s(untl); scores[#scores + 1] = id
    end
    bulk('HSET', K_OWNER, owners)
    bulk('HSET', K_UNTIL, untils)
    bulk('ZADD', K_DUE, scores)
    local m = { now, untl }
    for _, id in ipairs(ids) do m[#m + 1] = id end
    redis.call('SET', memo_key, cjson.encode(m), 'EX', ttl)
  end
end
if #ids == 0 then return { now, untl, {}, {}, {}, {}, {} } end
return { now, untl, ids, hmget(K_JOBS, ids), hmget(K_NEXT, ids), hmget(K_VERSION, ids), hmget(K_FENCE, ids) }
`

/**
 * release. ARGV: now, prefix, owner, run lease (\`''\`: the job's lease end, \`'null'\`: until
 * completed, else ms), token, memo ttl (s), decisions (JSON). Returns the outcomes as JSON text.
 */
export const RELEASE = HEADER + `
local prefix, owner, run_lease, token, ttl = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local memo_key = prefix .. ':memo:' .. token
local memo = redis.call('GET', memo_key)
if memo ~= false then return memo end
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local now = clock(ARGV[1])
local decisions = cjson.decode(ARGV[7])
local out = {}
for _, d in ipairs(decisions) do
  local id = d.id
  local o = redis.call('HGET', K_OWNER, id)
  local u = redis.call('HGET', K_UNTIL, id)
  if redis.call('HEXISTS', K_JOBS, id) == 0 or redis.call('HEXISTS', K_QUAR, id) == 1
    or o ~= owner or u == false or tonumber(u) <= now then
    out[#out + 1] = '{"_tag":"Refused"}'
  elseif tonumber(redis.call('HGET', K_VERSION, id)) ~= d.version then
    clear_lease(id)
    rescore(id)
    out[#out + 1] = '{"_tag":"Refused"}'
  else
    local runs_key = prefix .. ':runs:' .. id
    local live_key = prefix .. ':live:' .. id
    local live = redis.call('ZCOUNT', live_key, '(' .. s(now), '+inf')
    local has_ready = false
    for _, p in ipairs(d.runs) do if p.state == 'ready' then has_ready = true end end
    local skipped = has_ready and live >= d.maxInstances
    local fence_seq = tonumber(redis.call('HGET', K_FENCE, id) or '0')
    local planned = {}
    for i, p in ipairs(d.runs) do planned[i] = p end
    table.sort(planned, function(a, b) return a.scheduledTime < b.scheduledTime end)
    local started = {}
    for _, p in ipairs(planned) do
      local field = s(p.scheduledTime)
      if redis.call('HEXISTS', runs_key, field) == 0 then
        local state = p.state
        if state ~= 'missed' and skipped then state = 'skipped' end
        local ready = state == 'ready'
        local run = {
          jobId = id, scheduledTime = p.scheduledTime, recordedAt = now, state = state,
          fence = 0, attempt = 0, acquiredBy = cjson.null, acquiredUntil = cjson.null,
          startedAt = cjson.null, finishedAt = cjson.null, result = cjson.null, error = cjson.null,
          count = p.count, lastTime = p.lastTime, endedAt = now
        }
        if ready then
          fence_seq = fence_seq + 1
          run.fence = fence_seq
          run.attempt = 1
          run.acquiredBy = owner
          run.endedAt = cjson.null
          local score = '+inf'
          if run_lease == '' then
            run.acquiredUntil = tonumber(u); score = u
          elseif run_lease ~= 'null' then
            run.acquiredUntil = now + tonumber(run_lease); score = s(run.acquiredUntil)
          end
          redis.call('ZADD', live_key, score, field)
        else
          redis.call('ZADD', K_ENDED, s(now), field .. '|' .. id)
        end
        local text = cjson.encode(run)
        redis.call('HSET', runs_key, field, text)
        if ready then started[#started + 1] = text end
      end
    end
    local fmax = tonumber(redis.call('HGET', K_FMAX, id) or '0')
    if fence_seq > fmax then redis.call('HSET', K_FMAX, id, fence_seq) end
    if d.next == cjson.null then
      redis.call('HDEL', K_JOBS, id)
      for _, k in ipairs({K_NEXT, K_VERSION, K_FENCE, K_OWNER, K_UNTIL, K_QUAR}) do redis.call('HDEL', k, id) end
      redis.call('ZREM', K_DUE, id)
    else
      redis.call('HSET', K_JOBS, id, d.next.data)
      if d.next.nextRunTime == cjson.null then
        redis.call('HDEL', K_NEXT, id)
      else
        redis.call('HSET', K_NEXT, id, s(d.next.nextRunTime))
      end
      redis.call('HSET', K_FENCE, id, fence_seq)
      clear_lease(id)
      rescore(id)
    end
    out[#out + 1] = '{"_tag":"Released","skipped":' .. tostring(skipped) .. ',"runs":[' .. table.concat(started, ',') .. ']}'
  end
end
local result = '[' .. table.concat(out, ',') .. ']'
redis.call('SET', memo_key, result, 'EX', ttl)
return result
`

/**
 * complete. ARGV: prefix, token, memo ttl (s), completions (JSON). Returns `'1'`/`'0'` per
 * completion, as one string.
 */
export const COMPLETE = HEADER + `
local prefix, token, ttl = ARGV[1], ARGV[2], ARGV[3]
local memo_key = prefix .. ':memo:' .. token
local memo = redis.call('GET', memo_key)
if memo ~= false then return memo end
local bad = schema_error()
if bad then return redis.error_reply(bad) end
local completions = cjson.decode(ARGV[4])
local out = {}
for i, c in ipairs(completions) do
  local runs_key = prefix .. ':runs:' .. c.jobId
  local field = s(c.scheduledTime)
  local text = redis.call('HGET', runs_key, field)
  local ok = '0'
  if text ~= false then
    local r = cjson.decode(text)
    if r.fence == c.fence and (r.state == 'ready' or r.state == 'running') then
      r.state = c.state
      r.startedAt = c.startedAt
      r.finishedAt = c.finishedAt
      r.result = c.result
      r.error = c.error
      r.endedAt = c.finishedAt
      r.acquiredBy = cjson.null
      r.acquiredUntil = cjson.null
      redis.call('HSET', runs_key, field, cjson.encode(r))
      redis.call('ZREM', prefix .. ':live:' .. c.jobId, field)
      redis.call('ZADD', K_ENDED, s(c.finishedAt), field .. '|' .. c.jobId)
      ok = '1'
    end
  end
  out[i] = ok
end
local result = table.concat(out, '')
redis.call('SET', memo_key, result, 'EX', ttl)
return result
`

/**
 * Purges runs that ended before now - retention. ARGV: now, prefix, retention ms, limit.
 * Returns how many were deleted (the caller calls again while it returns `limit`).
 */
export const PURGE = HEADER + `
local now = clock(ARGV[1])
local prefix, retention, limit = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local old = redis.call('ZRANGEBYSCORE', K_ENDED, '-inf', '(' .. s(now - retention), 'LIMIT', 0, limit)
for _, member in ipairs(old) do
  local bar = string.find(member, '|', 1, true)
  local field, id = string.sub(member, 1, bar - 1), string.sub(member, bar + 1)
  local runs_key = prefix .. ':runs:' .. id
  redis.call('HDEL', runs_key, field)
  if redis.call('EXISTS', runs_key) == 0 then
    redis.call('DEL', prefix .. ':live:' .. id)
    redis.call('HDEL', K_FMAX, id)
  end
end
if #old > 0 then bulk('ZREM', K_ENDED, old) end
return #old
`

/** The scripts by name. */
export const SCRIPTS = {
  write: WRITE,
  delete: DELETE,
  deleteAll: DELETE_ALL,
  select: SELECT,
  quarantine: QUARANTINE,
  acquire: ACQUIRE,
  release: RELEASE,
  complete: COMPLETE,
  purge: PURGE
} as const

/** A script's name. */
export type ScriptName = keyof typeof SCRIPTS
