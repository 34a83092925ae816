--[[
linegroup-release-2: gives a call slot back and records the call's outcome for the
line, once: a second release of the same lease changes nothing (so the bridge that
drove the call and an event watcher may both release safely).

KEYS[1] line leases zset (see linegroup-acquire-5)
KEYS[2] line state hash: `quarantinedUntil` (ms epoch), `fails` (failures in a row)
ARGV[1] lease id
ARGV[2] outcome: `ok` (the line carried the call: resets the failure count),
        `fail` (network/congestion failure of the line: counts), `none` (tells nothing)
ARGV[3] failures in a row that quarantine the line
ARGV[4] quarantine period, ms

Returns {0, fails} when the lease was already released (nothing recorded),
{1, fails} released, {2, fails, quarantinedUntil} released and the line quarantined now.
]]
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then
  return {0, tonumber(redis.call('HGET', KEYS[2], 'fails') or '0')}
end
local outcome = ARGV[2]
if outcome == 'ok' then
  redis.call('HSET', KEYS[2], 'fails', 0)
  return {1, 0}
end
if outcome ~= 'fail' then
  return {1, tonumber(redis.call('HGET', KEYS[2], 'fails') or '0')}
end
local fails = redis.call('HINCRBY', KEYS[2], 'fails', 1)
if fails >= tonumber(ARGV[3]) then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local untilMs = now + tonumber(ARGV[4])
  redis.call('HSET', KEYS[2], 'quarantinedUntil', untilMs)
  return {2, fails, untilMs}
end
return {1, fails}
