"""Locust scenario of `make load` (benchmarks/load.py prepares the users and reads the results).

- `Leader` (50): a city or county leader reading dashboards of their own region:
  overview, county comparison, trend, brands, verification, the dashboard index.
- `Staff` (10): a county clerk saving figures through the API (PATCH with the
  version read last). Each save writes a value no other save writes (a band per
  clerk, 0.0001 apart), and every acknowledged save (200 with the new version)
  is appended to LOAD_ACK_FILE so load.py can check it is in the database.

Input: LOAD_USERS_FILE, JSON written by load.py:
  {"leaders": [{"session": key, "region": code, "level": "city" | "county"}], "staff": [{"token": t, "band": i, "figures": [{"id", "version"}]}]}
"""

from __future__ import annotations

import itertools
import json
import os
import random
from decimal import Decimal

from locust import HttpUser, between, task

_USERS = json.loads(open(os.environ["LOAD_USERS_FILE"], encoding="utf-8").read())  # noqa: SIM115
_ACKS = open(os.environ["LOAD_ACK_FILE"], "a", encoding="utf-8")  # noqa: SIM115 (closed at exit)
_leader_seq = itertools.count()
_staff_seq = itertools.count()
SESSION_COOKIE = "sessionid"


# Dashboard pages a leader opens, with how often; a county has no 县区对比 (compare) page.
CITY_PAGES = [("", 4), ("compare/", 2), ("trend/", 2), ("brands/", 1), ("verification/", 1)]
COUNTY_PAGES = [("", 5), ("trend/", 3), ("brands/", 1), ("verification/", 1)]


class Leader(HttpUser):
    fixed_count = int(os.environ.get("LOAD_LEADERS", "50"))
    wait_time = between(
        float(os.environ.get("LOAD_LEADER_WAIT_MIN", "2")), float(os.environ.get("LOAD_LEADER_WAIT_MAX", "6"))
    )

    def on_start(self) -> None:
        me = _USERS["leaders"][next(_leader_seq) % len(_USERS["leaders"])]
        self.client.cookies.set(SESSION_COOKIE, me["session"])
        self.region = me["region"]
        pages = COUNTY_PAGES if me["level"] == "county" else CITY_PAGES
        self.pages = [suffix for suffix, weight in pages for _ in range(weight)]

    @task(10)
    def dashboard(self) -> None:
        suffix = random.choice(self.pages)
        name = f"GET /dashboards/[code]/{suffix or '(overview)'}"
        with self.client.get(f"/dashboards/{self.region}/{suffix}", name=name, catch_response=True) as r:
            if r.status_code != 200 or "<html" not in r.text:
                r.failure(f"{r.status_code}")

    @task(1)
    def index(self) -> None:
        self.client.get("/dashboards/", name="GET /dashboards/")


class Staff(HttpUser):
    fixed_count = int(os.environ.get("LOAD_STAFF", "10"))
    wait_time = between(
        float(os.environ.get("LOAD_STAFF_WAIT_MIN", "0.5")),
        float(os.environ.get("LOAD_STAFF_WAIT_MAX", "1.5")),
    )

    def on_start(self) -> None:
        me = _USERS["staff"][next(_staff_seq) % len(_USERS["staff"])]
        self.client.headers["Authorization"] = f"Token {me['token']}"
        self.versions = {f["id"]: f["version"] for f in me["figures"]}
        self.cycle = itertools.cycle(sorted(self.versions))
        self.base = Decimal(10 + 8 * me["band"])  # this clerk's band: [10 + 8b, 18 + 8b)
        self.seq = itertools.count(1)

    @task
    def save_figure(self) -> None:
        figure = next(self.cycle)
        value = self.base + next(self.seq) * Decimal("0.0001")
        body = {"value": str(value), "version": self.versions[figure], "note": "负载测试"}
        with self.client.patch(
            f"/api/v1/figures/{figure}/", json=body, name="PATCH /api/v1/figures/[id]/", catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} {r.text[:200]}")
                return
            saved = r.json()
            if Decimal(saved["value"]) != value:
                r.failure(f"answered {saved['value']} for {value}")
                return
            self.versions[figure] = saved["version"]
            _ACKS.write(
                json.dumps({"figure": figure, "version": saved["version"], "value": str(value)}) + "\n"
            )
            _ACKS.flush()
