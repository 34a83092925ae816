--[[
  Writes a campaign's state when the caller still holds the campaign's runner lease
  (a runner that lost its lease to another instance must not overwrite the new runner).
  KEYS[1] runner lease key (value = holder token)
  KEYS[2] campaign key (JSON)
  ARGV[1] holder token
  ARGV[2] campaign JSON
  Returns: 1 written, 0 the lease is not the caller's (nothing written).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[2])
return 1
