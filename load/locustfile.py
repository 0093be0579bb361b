"""50 staff users on one instance: web pages read (dashboard, participants,
groups, a participant's record, a report) and writes through the API (new
participants with their consent, report runs queued for the worker).
Driven by ``scripts/load.py`` (``make load``), which creates the accounts and
API tokens and sets LOAD_PASSWORD and LOAD_TOKENS."""

from __future__ import annotations

import os
import random
import re
import uuid
from http.cookiejar import DefaultCookiePolicy

from locust import HttpUser, between, task

TERRITORY = os.environ.get("LOAD_TERRITORY", "monza-brianza")
PASSWORD = os.environ["LOAD_PASSWORD"]
TOKENS = os.environ["LOAD_TOKENS"].split(",")
USERS = iter(range(1, 10_000))


# The production session cookie is Secure (sent over HTTPS only); the load runs
# over loopback HTTP, as the TLS proxy in front would. requests copies the
# session's cookies into a fresh jar for every request, so the policy is changed
# for the class (in this load process only).
DefaultCookiePolicy.return_ok_secure = lambda _self, _cookie, _request: True  # type: ignore[method-assign]


class Staff(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        number = next(USERS) % len(TOKENS)
        # as behind the TLS proxy, each user from their own office's address
        # (the login limits count attempts per address)
        self.client.headers["X-Forwarded-Proto"] = "https"
        self.client.headers["X-Forwarded-For"] = f"10.0.{number // 200}.{number % 200 + 1}"
        name = f"load-{number + 1:02d}"
        form = self.client.get("/login", name="/login").text
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form)[1]
        with self.client.post(
            "/login",
            data={"username": name, "password": PASSWORD, "csrf_token": token},
            # over HTTPS the CSRF check wants the page the form came from
            headers={"Referer": f"{self.host.replace('http://', 'https://')}/login"},
            allow_redirects=False,
            name="/login [POST]",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login refused: {response.status_code}")
        self.api = {"Authorization": f"Bearer {TOKENS[number]}"}
        people = self.client.get(
            f"/api/v1/territories/{TERRITORY}/participants/?page_size=50",
            headers=self.api,
            name="/api/participants",
        ).json()
        self.people = [p["id"] for p in people]

    def page(self, path: str, name: str) -> None:
        """A staff page: an answer that is the login form (session lost) is an error."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.ok and "/login" in response.url:
                response.failure("sent back to the login page")

    @task(4)
    def dashboard(self) -> None:
        self.page(f"/t/{TERRITORY}/", "/t/[T]/")

    @task(3)
    def participants(self) -> None:
        self.page(f"/t/{TERRITORY}/participants/", "/t/[T]/participants/")

    @task(2)
    def groups(self) -> None:
        self.page(f"/t/{TERRITORY}/groups/", "/t/[T]/groups/")

    @task(2)
    def record(self) -> None:
        self.page(
            f"/t/{TERRITORY}/participants/{random.choice(self.people)}",
            "/t/[T]/participants/[id]",
        )

    @task(2)
    def new_participant(self) -> None:
        self.client.post(
            f"/api/v1/territories/{TERRITORY}/participants/",
            json={
                "first_name": "Carico",
                "last_name": f"Prova {uuid.uuid4().hex[:10]}",
                "consents": ["processing"],
            },
            headers=self.api,
            name="/api/participants [POST]",
        )

    @task(1)
    def report_run(self) -> None:
        self.client.post(
            f"/api/v1/territories/{TERRITORY}/reports/provincia-trimestrale/runs",
            json={"period": "2026-Q1"},
            headers=self.api,
            name="/api/reports/runs [POST]",
        )
