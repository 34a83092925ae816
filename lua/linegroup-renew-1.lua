--[[
linegroup-renew-1: keeps the slots of calls that still live, and reclaims the slots
nobody renews any more (a crashed instance, a lost release). Run by the instance that
holds the slots (every leaseTtlMs / 3) and, with no lease ids, by the reaper's sweep.
Time is Redis's own clock (TIME), like linegroup-acquire-5.

KEYS[1] line leases zset (see linegroup-acquire-5): member = lease id, score = expiry (ms epoch)
ARGV[1] lease time-to-live, ms: a renewed slot expires this long from now
ARGV[2..] lease ids to renew (none: only reclaim expired slots)

Expired slots are removed first, so a slot whose renewal came too late is NOT brought
back (its line may have been given to another call meanwhile). Returns
{reclaimed, lost...}: how many expired slots were removed, then the ids that were not
held any more (released elsewhere, or expired): their holder must stop renewing them.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local reclaimed = redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {reclaimed}
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[i])
  else
    out[#out + 1] = ARGV[i]
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[1], tonumber(last[2]))
end
return out
