-- GET a rotating list of paths (BENCH_PATHS is replaced by the runner with a Lua table of strings).
local paths = BENCH_PATHS
local counter = 0
function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
