-- wrk script: GET, in turn, each path of the file $AV_PATHS (one per line), with "Authorization: Bearer $AV_TOKEN".
-- A walk over many different pages, so that no cache of recently listed rows holds them all.
local token = os.getenv("AV_TOKEN")
local file = os.getenv("AV_PATHS")
if token == nil or token == "" or file == nil or file == "" then
  error("set AV_TOKEN and AV_PATHS")
end
local paths = {}
for line in io.lines(file) do
  if line ~= "" then paths[#paths + 1] = line end
end
if #paths == 0 then error("no paths in " .. file) end
local i = 0
local headers = { ["Authorization"] = "Bearer " .. token }
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], headers)
end
