-- Parked: N suspended coroutines; report resident memory each.
local function rss()
  for l in io.lines("/proc/self/status") do
    local v = l:match("^VmRSS:%s+(%d+)") if v then return tonumber(v) end
  end
end
local n = tonumber(arg[1]) or 1000000
local before = rss()
local cos = {}
for i = 1, n do
  local co = coroutine.create(function() coroutine.yield() end)
  coroutine.resume(co)
  cos[i] = co
end
local after = rss()
for i = 1, n do coroutine.resume(cos[i]) end
print(string.format("%d parked, %.2f KiB resident each", n, (after - before) / n))
