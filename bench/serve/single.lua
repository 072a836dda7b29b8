-- wrk script: GET /embed?q=<one short Japanese query>, cycling through the
-- URL-encoded queries in the file given after "--".
local queries = {}
local i = 0

function init(args)
  for line in io.lines(args[1]) do
    queries[#queries + 1] = line
  end
end

function request()
  i = i % #queries + 1
  return wrk.format("GET", "/embed?q=" .. queries[i])
end

function response(status, headers, body)
  if status ~= 200 then
    error("status " .. status .. ": " .. body)
  end
end
