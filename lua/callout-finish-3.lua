--[[
  Ends a campaign (state done or stopped) unless numbers are still to be dialled
  (appended meanwhile). The runner calls it once none of its calls is in flight.
  KEYS[1] runner lease (value = holder token)
  KEYS[2] campaign record (hash, see callout-create-3.lua)
  KEYS[3] numbers (list)
  ARGV[1] holder token
  ARGV[2] the final state: done or stopped
  Returns: 1 ended, 2 numbers are left (the runner goes on), 0 the lease is not the caller's.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if tonumber(redis.call('HGET', KEYS[2], 'next')) < redis.call('LLEN', KEYS[3]) then
  return 2
end
redis.call('HSET', KEYS[2], 'state', ARGV[2])
return 1
