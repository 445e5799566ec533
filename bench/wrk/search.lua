-- wrk script: the command centre's "free beds on this ward" search,
-- GET BASE/Location?physical-type=bd&operational-status=U&partof=Location/<random ward>&_count=20.
-- A response counts as good only when it is 2xx and a searchset Bundle; the
-- report gives the mean number of entries per page (about 1.1 on the
-- generated data: 10 beds per ward, 11% of them unoccupied).
--
-- Usage: wrk -t2 -c64 -d20s --latency -s bench/wrk/search.lua http://HOST:PORT -- IDS_DIR [/fhir]

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "bench_common.lua")

local wards, base
local headers = { ["Accept"] = "application/fhir+json" }

function init(args)
  local ids_dir
  ids_dir, base = common.parse_args(args)
  wards = common.read_ids(ids_dir .. "/wards.txt")
  math.randomseed(2000 + (thread_index or 0))
end

function request()
  local path = base .. "/Location?physical-type=bd&operational-status=U&partof=Location/" ..
               wards[math.random(#wards)] .. "&_count=20"
  return wrk.format("GET", path, headers)
end

-- A searchset Bundle; its entries counted by their fullUrl.
local function is_searchset(body)
  if not body:find('"resourceType"%s*:%s*"Bundle"') or
     not body:find('"type"%s*:%s*"searchset"') then
    return false
  end
  local _, n = body:gsub('"fullUrl"', "")
  return true, n
end

common.install("search", is_searchset)
