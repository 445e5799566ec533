-- wrk script: random reads of the benchmark data set, half beds and wards
-- (GET BASE/Location/<id>), half encounters (GET BASE/Encounter/<id>).
--
-- Usage: wrk -t2 -c64 -d20s --latency -s bench/wrk/read.lua http://HOST:PORT -- IDS_DIR [/fhir]
-- IDS_DIR is the ids/ folder of a data set from tools/generate_dataset.py.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "bench_common.lua")

local beds, wards, encounters, base
local headers = { ["Accept"] = "application/fhir+json" }

function init(args)
  local ids_dir
  ids_dir, base = common.parse_args(args)
  beds = common.read_ids(ids_dir .. "/beds.txt")
  wards = common.read_ids(ids_dir .. "/wards.txt")
  encounters = common.read_ids(ids_dir .. "/encounters.txt")
  math.randomseed(1000 + (thread_index or 0))
end

function request()
  local r = math.random()
  local path
  if r < 0.45 then
    path = base .. "/Location/" .. beds[math.random(#beds)]
  elseif r < 0.5 then
    path = base .. "/Location/" .. wards[math.random(#wards)]
  else
    path = base .. "/Encounter/" .. encounters[math.random(#encounters)]
  end
  return wrk.format("GET", path, headers)
end

common.install("read", nil)
