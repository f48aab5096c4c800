"""A minimal CKAN action API client for setting the portal up (groups, token check, readiness).

Every call has a timeout; connection errors and 5xx answers are retried a bounded number of times
with backoff, 4xx answers never (they will not change by asking again).
"""

from __future__ import annotations

import time
from typing import Any

import requests

from catalog.errors import RemoteUnavailableError

USER_AGENT = "inventur-portal-setup/1"


class ActionError(RemoteUnavailableError):
    """A CKAN action failed; ``status`` is the HTTP status (0: no answer), ``error`` CKAN's error dict."""

    def __init__(self, action: str, status: int, error: Any) -> None:
        super().__init__(f"CKAN action {action} failed (HTTP {status}): {error}")
        self.action = action
        self.status = status
        self.error = error


class ActionClient:
    """Calls ``/api/3/action/<name>`` with a token, a timeout and bounded retries."""

    def __init__(
        self, url: str, token: str | None = None, *, timeout: float = 30.0, retries: int = 3
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        if token:
            self.session.headers["Authorization"] = token

    def call(self, action: str, data: dict[str, Any] | None = None) -> Any:
        """Run an action and return its ``result``; raises ActionError."""
        last: ActionError | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(0.5 * 2 ** (attempt - 1), 4.0))
            try:
                response = self.session.post(
                    f"{self.url}/api/3/action/{action}", json=data or {}, timeout=self.timeout
                )
            except requests.RequestException as exc:
                last = ActionError(action, 0, str(exc))
                continue
            try:
                body = response.json()
            except ValueError:
                body = {"success": False, "error": response.text[:500]}
            if response.status_code < 400 and body.get("success"):
                return body.get("result")
            last = ActionError(action, response.status_code, body.get("error"))
            if response.status_code < 500:
                break
        assert last is not None
        raise last

    def close(self) -> None:
        """Release the connection pool."""
        self.session.close()


def is_up(url: str, timeout: float = 5.0) -> bool:
    """True if CKAN at ``url`` answers ``status_show``."""
    try:
        response = requests.get(
            f"{url.rstrip('/')}/api/3/action/status_show", timeout=timeout, headers={"User-Agent": USER_AGENT}
        )
        return response.status_code == 200 and bool(response.json().get("success"))
    except (requests.RequestException, ValueError):
        return False
