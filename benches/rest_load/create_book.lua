-- POST /api/Books with one book as JSON.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Load test book","price":12.49,"published":true,"authorId":7}'
