--[[
  Releases a node lease when the caller holds it (shutdown: the next instance takes
  over at once instead of after the time to live).
  KEYS[1] lease key (value = holder token)
  ARGV[1] holder token
  Returns: 1 released, 0 not held by this token.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
