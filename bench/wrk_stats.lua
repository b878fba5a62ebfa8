-- wrk script for bench/compare.sh: at the end of a run, one line of exact figures (wrk's own
-- summary rounds them), latencies in microseconds.
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
                 summary.errors.timeout
  io.write(string.format("STATS requests=%d duration_us=%d errors=%d non2xx=%d p50_us=%d p99_us=%d\n",
                         summary.requests, summary.duration, errors, summary.errors.status,
                         latency:percentile(50), latency:percentile(99)))
end
