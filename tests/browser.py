"""A real headless Chromium for the tests, driven over the DevTools protocol (no download of a browser).

``with Browser() as b: page = b.open(url)`` loads a page and returns what a
person's browser would have seen: the console errors and uncaught
exceptions, every request the page made, and ``b.evaluate(js)`` /
``b.screenshot(path)`` on it. Uses Debian's ``chromium`` (``.ci/run``
installs it) and ``websocket-client``. Used by the feedback and site tests.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--metrics-recording-only", "--no-default-browser-check",
         "--remote-debugging-port=0", "--window-size=1200,900"]


@dataclass
class Page:
    """What loading one page showed."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


class Browser:
    def __init__(self, width: int = 1200, height: int = 900):
        self.width, self.height = width, height

    def __enter__(self) -> Browser:
        import websocket

        if CHROMIUM is None:
            raise RuntimeError("no chromium on this machine (Debian: apt-get install chromium)")
        self.profile = Path(tempfile.mkdtemp(prefix="chromium-"))
        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.time() + 60
        while not (port_file.exists() and port_file.read_text().strip()) and time.time() < deadline:
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        targets = []
        while not targets and time.time() < deadline:
            import urllib.request

            listing = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=10).read())
            targets = [t for t in listing if t.get("type") == "page"]
            time.sleep(0.1)
        self.ws = websocket.create_connection(targets[0]["webSocketDebuggerUrl"], timeout=60)
        self._id = 0
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.call(method)
        self.call("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                  deviceScaleFactor=1, mobile=self.width < 600)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.kill()
            self.proc.wait()
            shutil.rmtree(self.profile, ignore_errors=True)

    def call(self, method: str, events: list | None = None, **params):
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self._id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if events is not None:
                events.append(message)

    def open(self, url: str, settle: float = 1.0) -> Page:
        """Load ``url``, wait for it to finish (and ``settle`` seconds for scripts), return what it showed."""
        events: list = []
        self.call("Page.navigate", events, url=url)
        deadline = time.time() + 60
        self.ws.settimeout(1)
        loaded = False
        end = None
        import websocket

        while time.time() < deadline:
            try:
                message = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                if loaded and end and time.time() > end:
                    break
                continue
            events.append(message)
            if message.get("method") == "Page.loadEventFired":
                loaded, end = True, time.time() + settle
        self.ws.settimeout(60)
        page = Page(url)
        for event in events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                page.requests.append(params["request"]["url"])
            elif method == "Runtime.exceptionThrown":
                page.console_errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                page.console_errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                                    for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                page.console_errors.append(params["entry"].get("text", ""))
        return page

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)
