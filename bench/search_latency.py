"""Latency of the issue-3 benchmark queries over HTTP (keep-alive, one client).

Usage: bench/search_latency.py PORT BUILD_ID
"""
import http.client, json, time, statistics, sys
P=int(sys.argv[1]); BID=sys.argv[2]
qs = {
 "term_size0": {"size":0,"query":{"term":{"build.id":BID}}},
 "term_size1_source": {"size":1,"query":{"term":{"build.id":BID}},"_source":["target.version","source.revision"]},
 "terms_agg_platform": {"size":0,"aggs":{"p":{"terms":{"field":"target.platform","size":100}}}},
 "web_page": {"query":{"query_string":{"query":"firefox* 68* linux*","fields":["source.product","target.channel^1.2","target.version^10","target.locale^3","target.platform^2","build.id"],"default_operator":"AND","analyze_wildcard":True,"lenient":True}},
   "aggs":{f:{"filter":{"match_all":{}},"aggs":{f:{"terms":{"field":f,"size":1000,"order":{"_term":"asc"}}},f+"_count":{"cardinality":{"field":f}}}} for f in ["target.version","target.platform","target.channel","target.locale"]},
   "size":30,"sort":[{"download.date":"desc"}],"highlight":{"fields":{"source.product":{},"target.version":{},"target.platform":{},"target.locale":{},"target.channel":{}}}},
 "latest_nightly_per_platform": {"size":0,"query":{"term":{"target.channel":"nightly"}},"aggs":{"p":{"terms":{"field":"target.platform","size":100},"aggs":{"l":{"top_hits":{"size":1,"sort":[{"build.date":"desc"}],"_source":["build.id"]}}}}}},
 "date_histogram_month": {"size":0,"aggs":{"m":{"date_histogram":{"field":"build.date","interval":"month"}}}},
}
c = http.client.HTTPConnection("127.0.0.1", P)
for name, q in qs.items():
    body = json.dumps(q); ts=[]; took=[]
    for i in range(60):
        t=time.perf_counter(); c.request("POST","/api/search",body,{"Content-Type":"application/json"}); r=c.getresponse(); d=r.read(); ts.append((time.perf_counter()-t)*1000)
        assert r.status==200, d[:200]
    ts=ts[10:]
    print(f"{name:30s} p50 {statistics.median(ts):8.2f} ms  p90 {sorted(ts)[int(len(ts)*0.9)]:8.2f} ms  hits {json.loads(d)['hits']['total']}")
