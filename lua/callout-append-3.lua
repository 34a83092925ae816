--[[
  Appends numbers to a running nwaycallout campaign (POST .../callouts/{id}/numbers).
  KEYS[1] campaign record (hash, see callout-create-3.lua)
  KEYS[2] numbers (list)
  KEYS[3] stop flag (set by DELETE)
  ARGV[1] most numbers a campaign may hold
  ARGV[2..] the numbers to append
  Returns: {total numbers after the append, total before}; errors NOT_RUNNING (no such
  campaign, finished or being stopped) and TOO_MANY (the limit would be passed).
]]
if redis.call('HGET', KEYS[1], 'state') ~= 'running' or redis.call('EXISTS', KEYS[3]) == 1 then
  return redis.error_reply('NOT_RUNNING')
end
local before = redis.call('LLEN', KEYS[2])
if before + #ARGV - 1 > tonumber(ARGV[1]) then
  return redis.error_reply('TOO_MANY ' .. before)
end
for i = 2, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
return { before + #ARGV - 1, before }
