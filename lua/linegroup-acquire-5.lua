--[[
linegroup-acquire-5: takes one call slot on one line (gateway) of a line group, or
says why it cannot. All limits hold across every freecti instance sharing this Redis.
Time is Redis's own clock (TIME), so instances with skewed clocks agree.

KEYS[1] line state hash: `quarantinedUntil` (ms epoch), `fails` (failures in a row)
KEYS[2] line leases zset: member = lease id, score = lease expiry (ms epoch)
KEYS[3] line CPS window zset: member = lease id, score = when taken (ms epoch)
KEYS[4] line per-prefix CPS window zset (longest prefix of the line matching the number)
KEYS[5] group per-prefix CPS window zset (longest prefix of the group matching the number)
ARGV[1] lease id (unique)
ARGV[2] max concurrent calls on the line (0 = no limit)
ARGV[3] calls per second on the line (0 = no limit)
ARGV[4] calls per second for the line's matching prefix (0 = no limit / no match)
ARGV[5] calls per second for the group's matching prefix (0 = no limit / no match)
ARGV[6] lease time-to-live, ms: the holder renews the slot while its call lives
        (lua/linegroup-renew-1.lua); a crashed instance's slots free themselves after it
ARGV[7] failures in a row that quarantine the line (re-armed on recovery: half-open)

Returns {1, now, active} when taken (active includes this call), else
{-1, msLeft} quarantined, {-2, active} concurrency full, {-3, count} line CPS reached,
{-4, count} line prefix CPS reached, {-5, count} group prefix CPS reached.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local leaseId = ARGV[1]
local maxActive = tonumber(ARGV[2])
local ttl = tonumber(ARGV[6])

local q = tonumber(redis.call('HGET', KEYS[1], 'quarantinedUntil') or '0')
if q > 0 then
  if q > now then return {-1, q - now} end
  -- Recovery: the period is over. The line may be used again, but one more failure
  -- quarantines it at once (half-open) until a call succeeds.
  redis.call('HDEL', KEYS[1], 'quarantinedUntil')
  redis.call('HSET', KEYS[1], 'fails', math.max(tonumber(ARGV[7]) - 1, 0))
end

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local active = redis.call('ZCARD', KEYS[2])
if maxActive > 0 and active >= maxActive then return {-2, active} end

-- Sliding one-second windows: at most N entries in any 1000 ms, hence in any second.
local windows = { {KEYS[3], tonumber(ARGV[3]), -3}, {KEYS[4], tonumber(ARGV[4]), -4}, {KEYS[5], tonumber(ARGV[5]), -5} }
for _, w in ipairs(windows) do
  if w[2] > 0 then
    redis.call('ZREMRANGEBYSCORE', w[1], '-inf', now - 1000)
    local count = redis.call('ZCARD', w[1])
    if count >= w[2] then return {w[3], count} end
  end
end

for _, w in ipairs(windows) do
  if w[2] > 0 then
    redis.call('ZADD', w[1], now, leaseId)
    redis.call('PEXPIRE', w[1], 2000)
  end
end
redis.call('ZADD', KEYS[2], now + ttl, leaseId)
-- The key lives as long as its longest slot (slots of a group with another TTL may outlive this one).
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return {1, now, active + 1}
