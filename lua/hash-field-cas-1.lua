--[[
  Replaces one hash field only when it still holds the value the caller read
  (a read-modify-write of a stored JSON document without losing a concurrent write:
  nacd_max changing one line's limits while REST replaces the group).
  KEYS[1] the hash
  ARGV[1] field
  ARGV[2] the value read (the exact stored text)
  ARGV[3] the new value
  Returns: 1 replaced, 0 the field changed (or is gone) since it was read.
]]
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0
