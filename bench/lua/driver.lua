-- wrk driver for the benchmark. BENCH_MODE picks what each request is:
--   get  : wrk's own static request (path and -H headers from the command line)
--   vote : one POST per harvested visitor, read from BENCH_VISITORS; each line is
--          "<Cookie header>\t<X-CSRFToken>\t<form body>". When a thread has used
--          all its visitors it stops, so no visitor ever votes twice.
-- done() prints one line, "BENCH_RESULT {json}", that bench/wrk.py reads.

local mode = os.getenv("BENCH_MODE") or "get"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads - 1)
end

if mode == "vote" then
  local visitors = {}
  local sent = 0
  local answered = 0
  local spare = nil

  function init(args)
    local total = tonumber(os.getenv("BENCH_THREADS") or "1")
    local path = os.getenv("BENCH_VISITORS")
    local line_number = 0
    for line in io.lines(path) do
      if line_number % total == thread_index then
        local cookie, token, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
        table.insert(visitors, wrk.format("POST", wrk.path, {
          ["Cookie"] = cookie,
          ["X-CSRFToken"] = token,
          ["HX-Request"] = "true",
          ["Content-Type"] = "application/x-www-form-urlencoded",
        }, body))
      end
      line_number = line_number + 1
    end
    -- Sent only by connections still open after the last visitor has voted,
    -- while the thread stops; counted apart and left out of the vote count.
    spare = wrk.format("GET", os.getenv("BENCH_SPARE_PATH") or "/", {}, nil)
    spares = 0
  end

  function request()
    sent = sent + 1
    if sent <= #visitors then
      return visitors[sent]
    end
    spares = spares + 1
    return spare
  end

  function response(status, headers, body)
    answered = answered + 1
    if answered >= #visitors then
      wrk.thread:stop()
    end
  end
end

function done(summary, latency, requests)
  local spare_total = 0
  for _, thread in ipairs(threads) do
    spare_total = spare_total + (thread:get("spares") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
      .. '"mean_us": %.1f, "errors": {"connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d}, "spares": %d}\n',
    summary.requests, summary.duration, latency:percentile(50.0),
    latency:percentile(99.0), latency.mean, e.connect, e.read, e.write, e.status,
    e.timeout, spare_total))
end
