"""Answers generated measures (`B-001` …) for units through the API: one POST per unit and
measure, CLIENTS keep-alive connections at once. States are mixed deterministically: about 55%
implemented, 20% partly, 15% not, 5% not applicable (with a reason) and 5% implemented with a
link; every third answer has a note. For the benchmarks.

    python3 bench/fill_answers.py BASE TOKEN CATALOGUE CLIENTS UNIT,UNIT,... MEASURES [SHARE%]
"""
import http.client, json, sys, threading, time
from urllib.parse import urlsplit
base, token, catalogue, clients = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
units = [int(u) for u in sys.argv[5].split(",")]
measures = int(sys.argv[6])
# The share of each unit's measures to answer, in percent (all by default).
share = int(sys.argv[7]) if len(sys.argv) > 7 else 100
jobs = [(u, m) for u in units for m in range(measures * share // 100)]
host = urlsplit(base)
failures, lock, at = [], threading.Lock(), [0]

def body(unit, m):
    h = (m * 31 + unit * 17) % 20
    answer = {"measure": f"B-{m + 1:03d}"}
    if h < 11:
        answer["status"] = "implemented"
    elif h < 15:
        answer["status"] = "partly"
    elif h < 18:
        answer["status"] = "not"
    elif h == 18:
        answer["status"] = "not_applicable"
        answer["reason"] = "該当する情報システムを保有していない。"
    else:
        answer["status"] = "implemented"
        answer["link"] = f"https://intra.example.lg.jp/evidence/{unit}/{m + 1}"
    if (m + unit) % 3 == 0:
        answer["note"] = f"課室 {unit} の点検記録（対策 {m + 1}）を確認した。"
    return json.dumps(answer, ensure_ascii=False).encode()

def worker():
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
    while True:
        with lock:
            if at[0] >= len(jobs):
                break
            unit, m = jobs[at[0]]
            at[0] += 1
        conn.request("POST", f"/api/v1/catalogues/{catalogue}/units/{unit}/answers",
                     body=body(unit, m),
                     headers={"Authorization": f"Bearer {token}",
                              "Content-Type": "application/json"})
        response = conn.getresponse()
        text = response.read()
        if response.status != 201:
            with lock:
                failures.append((response.status, text[:200]))

start = time.time()
threads = [threading.Thread(target=worker) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
took = time.time() - start
print(f"{len(jobs)} answers in {took:.1f} s ({len(jobs) / took:.0f}/s, {clients} clients), "
      f"{len(failures)} refused" + (f": first {failures[0]}" if failures else ""))
sys.exit(1 if failures else 0)
