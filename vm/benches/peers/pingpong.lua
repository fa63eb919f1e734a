-- Ping-pong: a coroutine resume/yield round trip, N times (2 switches each).
local n = tonumber(arg[1]) or 1000000
local co = coroutine.wrap(function() while true do coroutine.yield() end end)
local t0 = os.clock()
for _ = 1, n do co() end
local t1 = os.clock()
print(string.format("%d switches, %.1f ns per switch", 2 * n, (t1 - t0) * 1e9 / (2 * n)))
