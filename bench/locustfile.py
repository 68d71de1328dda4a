"""The load of the portal's main pages and API: committee members of the national data set
(their logins and district codes come in LOAD_USERS as "login:district,login:district,…"), each
signing in once through the login form, then reading what a member reads in a working day."""

import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ["LOAD_PASSWORD"]
ACCOUNTS = [item.split(":") for item in os.environ["LOAD_USERS"].split(",")]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Member(HttpUser):
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.username, self.district = random.choice(ACCOUNTS)
        page = self.client.get("/login/", name="/login/")
        match = CSRF.search(page.text)
        token = match.group(1) if match else ""
        signed_in = self.client.post(
            "/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/login/"},
            name="/login/ (POST)",
            allow_redirects=False,
        )
        if signed_in.status_code != 302:
            signed_in.failure(f"sign-in refused: {signed_in.status_code}")

    @task(4)
    def my_work(self) -> None:
        self.client.get("/my/", name="/my/")

    @task(2)
    def district_page(self) -> None:
        self.client.get(f"/units/{self.district}/", name="/units/[district]/")

    @task(2)
    def compliance(self) -> None:
        self.client.get(f"/reports/compliance/?unit={self.district}", name="/reports/compliance/")

    @task(1)
    def coverage(self) -> None:
        self.client.get(f"/reports/coverage/?unit={self.district}", name="/reports/coverage/")

    @task(2)
    def visit_list(self) -> None:
        self.client.get(f"/visits/?unit={self.district}", name="/visits/")

    @task(3)
    def api_visits(self) -> None:
        self.client.get("/api/v1/visits/", name="/api/v1/visits/")

    @task(1)
    def api_meetings(self) -> None:
        self.client.get(f"/api/v1/meetings/?unit={self.district}", name="/api/v1/meetings/")

    @task(1)
    def tasks_board(self) -> None:
        self.client.get("/tasks/", name="/tasks/")
