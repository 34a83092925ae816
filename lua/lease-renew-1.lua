--[[
  Renews a node lease when the caller still holds it.
  KEYS[1] lease key (value = holder token)
  ARGV[1] holder token
  ARGV[2] time to live (ms)
  Returns: 1 renewed, 0 someone else holds it (or nobody).
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
