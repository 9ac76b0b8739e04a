"""The Redis store's Lua scripts (data), each one atomic step on the server (see
`mockserver.redis_store`)."""

FINISH = """
if redis.call('HEXISTS', KEYS[1], 'd') == 1 and redis.call('HSETNX', KEYS[1], 'f', 1) == 1
then return 1 else return 0 end
"""
# KEYS: the key's hits. ARGV: the window's start, now, limit, a unique tail, the expiry.
RESERVE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if first[2] then return first[2] end
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[2] .. ':' .. ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return false
"""
RELEASE = """
local hit = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1], 'LIMIT', 0, 1)
if hit[1] then redis.call('ZREM', KEYS[1], hit[1]) end
return 0
"""
# KEYS: the due set, its lease set. ARGV: now, the lease's end.
CLAIM = """
local again = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local first = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, id in ipairs(again) do redis.call('ZADD', KEYS[2], ARGV[2], id) end
for _, id in ipairs(first) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZADD', KEYS[2], ARGV[2], id)
end
return {first, again}
"""
# ARGV: prefix, id, JSON, TTL seconds, size, due, max_jobs, max_bytes, now, scan.
# 1: stored; 0: refused (over max_bytes with only jobs that have not ended among the oldest
# `scan`). `sizes` and `bytes` account the text of every job listed in `jobs`.
PUT = """
local prefix, id = ARGV[1], ARGV[2]
local size, max_jobs, max_bytes = tonumber(ARGV[5]), tonumber(ARGV[7]), tonumber(ARGV[8])
local now = tonumber(ARGV[9])
local jobs, sizes, bytes = prefix .. 'jobs', prefix .. 'sizes', prefix .. 'bytes'
local function drop(old)
  local freed = tonumber(redis.call('HGET', sizes, old) or '0')
  redis.call('DEL', prefix .. 'job:' .. old)
  redis.call('ZREM', jobs, old)
  redis.call('HDEL', sizes, old)
  return tonumber(redis.call('DECRBY', bytes, freed))
end
local before = tonumber(redis.call('HGET', sizes, id) or '0')
local total = tonumber(redis.call('GET', bytes) or '0')
if total - before + size > max_bytes then
  for _, old in ipairs(redis.call('ZRANGE', jobs, 0, tonumber(ARGV[10]) - 1)) do
    if total - before + size <= max_bytes then break end
    if old ~= id then
      local key = prefix .. 'job:' .. old
      local state = redis.call('HMGET', key, 'f', 'u')
      if redis.call('EXISTS', key) == 0 or state[1] or tonumber(state[2] or '0') <= now then
        total = drop(old)
      end
    end
  end
  if before == 0 and total > 0 and total + size > max_bytes then return 0 end
end
local key = prefix .. 'job:' .. id
redis.call('HSET', key, 'd', ARGV[3], 'u', ARGV[6])
redis.call('EXPIRE', key, ARGV[4])
redis.call('ZADD', jobs, id, id)
redis.call('HSET', sizes, id, size)
redis.call('INCRBY', bytes, size - before)
local count = redis.call('ZCARD', jobs)
if count > max_jobs then
  for _, old in ipairs(redis.call('ZRANGE', jobs, 0, count - max_jobs - 1)) do drop(old) end
end
return 1
"""
JOURNAL_ADD = """
local seq = redis.call('INCR', KEYS[2])
redis.call('RPUSH', KEYS[1], seq .. ' ' .. ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
return seq
"""
