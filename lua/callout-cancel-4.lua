--[[
  A stopped campaign: up to ARGV[2] numbers from `next` on, never dialled, end
  `cancelled` (called until none is left, so no single call blocks Redis for long).
  KEYS[1] runner lease (value = holder token)
  KEYS[2] campaign record (hash, see callout-create-3.lua)
  KEYS[3] numbers (list)
  KEYS[4] outcomes (list of JSON)
  ARGV[1] holder token
  ARGV[2] most numbers to cancel in this call
  ARGV[3] now (ms epoch)
  Returns: how many numbers are left after this call; -1 the lease is not the caller's.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local nextIndex = tonumber(redis.call('HGET', KEYS[2], 'next'))
local numbers = redis.call('LRANGE', KEYS[3], nextIndex, nextIndex + tonumber(ARGV[2]) - 1)
if #numbers > 0 then
  local at = tonumber(ARGV[3])
  local results = {}
  for i, number in ipairs(numbers) do
    results[i] = cjson.encode({ number = number, outcome = 'cancelled', uuid = '', at = at })
  end
  for i = 1, #results, 1000 do
    redis.call('RPUSH', KEYS[4], unpack(results, i, math.min(i + 999, #results)))
  end
  redis.call('HSET', KEYS[2], 'next', nextIndex + #numbers)
  redis.call('HINCRBY', KEYS[2], 'cancelled', #numbers)
end
return redis.call('LLEN', KEYS[3]) - nextIndex - #numbers
