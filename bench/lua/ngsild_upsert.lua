-- NGSI-LD batch upsert: each request carries BENCH_ENTITIES AirQualityObserved entities × 5 attributes, at a
-- time no earlier request used, so every value is a new row. Threads and rotating entity blocks keep
-- concurrent requests off the same entities. BENCH_* are replaced by the runner.
local entities, base, blocks = BENCH_ENTITIES, BENCH_BASE_EPOCH, 4
local attributes = {"PM25", "PM10", "NO2", "O3", "CO"}
local thread_no = 0
local counter = 0

function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
end

function init(args)
  tid = tid or 1
end

function request()
  counter = counter + 1
  local stamp = os.date("!%Y-%m-%dT%H:%M:%SZ", base + tid * 10000000 + counter)
  local block = counter % blocks
  local parts = {}
  for i = 1, entities do
    local props = {}
    for a = 1, #attributes do
      props[a] = string.format('"%s":{"type":"Property","value":%.2f,"observedAt":"%s"}',
        attributes[a], (i * 7 + counter * 3 + a) % 200 + 0.5, stamp)
    end
    parts[i] = string.format('{"id":"urn:ngsi-ld:AirQualityObserved:benchhttp-%d-%d-%d","type":"AirQualityObserved",%s}',
      tid, block, i, table.concat(props, ","))
  end
  return wrk.format("POST", "/ngsi-ld/v1/entityOperations/upsert", nil, "[" .. table.concat(parts, ",") .. "]")
end
