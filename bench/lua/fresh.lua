-- GET one path, each request with a query parameter of its own that the endpoint ignores, so no cache can
-- answer it (BENCH_PATH is replaced by the runner). Threads count from different starts.
local counter = 0
function setup(thread)
  thread:set("counter", math.random(1, 1000000000))
end
function request()
  counter = counter + 1
  return wrk.format("GET", BENCH_PATH .. "&_fresh=" .. counter)
end
