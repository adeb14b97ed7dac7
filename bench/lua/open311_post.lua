-- POST requests.json as an Open311 client would (form-encoded); BENCH_BODY is replaced by the runner.
wrk.method = "POST"
wrk.body = BENCH_BODY
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
