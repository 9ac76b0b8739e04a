"""pytest plugin (registered through the `pytest11` entry point `modelslab`).

Holds options, the marker, fixtures and hooks only: the fixtures hand out the library's own
objects (`contracts.checker.ContractChecker`, `contracts.client.Target`,
`contracts.control.Server`, `mockserver.MockHandle`). Everything heavy is imported when a
fixture is first used, so projects that install the package but use none of it pay nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from contracts.client import Budget, BudgetExhausted, SharedBudget
from contracts.control import NotAMock, in_namespace
from contracts.vocabulary import MOCK_KEY

if TYPE_CHECKING:
    from contracts.checker import ContractChecker
    from contracts.client import Target
    from contracts.control import Server

# The mock's types (mockserver.MockConfig, .MockHandle) are written `Any` below: contracts may
# not import mockserver at module level, not even for type checking (ARCHITECTURE.md).

_MARKER = ("modelslab(**settings): per-test mock settings, e.g. queue='always', eta=0.2, "
           "error_mode='http', quirks=False, latency=50, seed=7 (any mockserver.MockConfig "
           "field); applied by modelslab_mock, modelslab_server and modelslab_target")


@dataclass(frozen=True)
class Options:
    """The command-line options, read once per session (kept in `config.stash`)."""

    base_url: str | None
    key_env: str
    seed: int
    #: The requests the fixtures may still send to a real backend.
    budget: Budget = field(compare=False)

    @classmethod
    def from_config(cls, config: pytest.Config) -> Options:
        base_url = _setting(config, "modelslab_base_url")
        budget = _setting(config, "modelslab_budget", int)
        if budget is not None and budget < 0:
            raise pytest.UsageError("--modelslab-budget must be 0 or more")
        if base_url and urlsplit(base_url).scheme not in ("http", "https"):
            raise pytest.UsageError(f"--modelslab-base-url must be an http(s) URL, "
                                    f"not {base_url!r}")
        return cls(base_url=base_url.rstrip("/") if base_url else None,
                   key_env=_setting(config, "modelslab_key_env") or "MODELSLAB_API_KEY",
                   seed=_setting(config, "modelslab_seed", int) or 0,
                   budget=_budget(config, budget))

    @property
    def key(self) -> str | None:
        """The key from the environment variable named by --modelslab-key-env, if set."""
        return os.environ.get(self.key_env) or None

    def header(self) -> str:
        """The line pytest prints under its own header (never the key itself)."""
        if self.base_url is None:
            return f"modelslab: target the mock (seed {self.seed})"
        key = "set" if self.key else "NOT set"
        cap = "no budget" if self.budget.limit is None else f"budget {self.budget.limit}"
        return f"modelslab: target {self.base_url} (key from ${self.key_env}: {key}; {cap})"


_OPTIONS = pytest.StashKey[Options]()
#: The forwarder that counts `modelslab_server.url`'s requests (a budget and a remote backend).
_METER = pytest.StashKey[Any]()
_REFUSED = pytest.StashKey[int]()
#: Where pytest-xdist workers find the run's one budget (a `SharedBudget` file).
_BUDGET_FILE = "modelslab_budget_file"
#: Names this process's test namespaces on a shared mock apart from other runs' and workers'.
_RUN = uuid.uuid4().hex[:8]


def _budget(config: pytest.Config, limit: int | None) -> Budget:
    """The run's budget: one file shared by the controller and every xdist worker."""
    if limit is None:
        return Budget(None)
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and workerinput.get(_BUDGET_FILE):
        return SharedBudget(limit, path=workerinput[_BUDGET_FILE])
    fd, path = tempfile.mkstemp(prefix="modelslab-budget-")
    os.close(fd)
    return SharedBudget(limit, path=path)


class _XdistHooks:
    """Registered only when pytest-xdist is: hands the budget file to each worker."""

    @pytest.hookimpl
    def pytest_configure_node(self, node: Any) -> None:
        budget = node.config.stash[_OPTIONS].budget
        if isinstance(budget, SharedBudget):
            node.workerinput[_BUDGET_FILE] = budget.path


#: Whether the --modelslab-base-url origin turned out to be a mock (known once probed).
_REMOTE_IS_MOCK = pytest.StashKey[bool]()
#: ini options (pytest.ini / pyproject.toml [tool.pytest.ini_options]); the command line wins.
_INI = {"modelslab_base_url": "origin to run the modelslab fixtures against",
        "modelslab_key_env": "environment variable holding the API key",
        "modelslab_budget": "most requests the fixtures may send to a real backend",
        "modelslab_seed": "seed for the mock's images and random choices"}


def _setting(config: pytest.Config, name: str, kind: Any = str) -> Any:
    """The command-line value of `name`, else its ini value, else None."""
    value = config.getoption(name)
    if value is not None:
        return value
    raw = config.getini(name)
    if raw in (None, ""):
        return None
    try:
        return kind(raw)
    except ValueError as exc:
        raise pytest.UsageError(f"ini option {name}: cannot use {raw!r}") from exc


def marker_changes(node: pytest.Item) -> dict[str, Any]:
    """The settings of every `modelslab` marker on `node`; the closest marker wins."""
    changes: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers("modelslab"))):
        if marker.args:
            pytest.fail(f"{node.nodeid}: @pytest.mark.modelslab takes keyword settings only "
                        "(queue=..., error_mode=..., quirks=..., latency=..., seed=...)",
                        pytrace=False)
        changes.update(marker.kwargs)
    _known_settings(node, changes)
    return changes


def _known_settings(node: pytest.Item, changes: dict[str, Any]) -> None:
    """Fail the test on a marker setting the mock does not have, suggesting the closest."""
    import dataclasses
    import difflib

    from mockserver import MockConfig  # lazily (ARCHITECTURE.md)

    known = [f.name for f in dataclasses.fields(MockConfig) if f.init]
    for name in changes:
        if name not in known:
            near = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            pytest.fail(f"{node.nodeid}: @pytest.mark.modelslab: unknown setting(s): {name}"
                        f"{hint}", pytrace=False)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelslab", "ModelsLab contract and mock")
    group.addoption("--modelslab-base-url", default=None,
                    help="run the modelslab fixtures against this origin instead of the mock")
    group.addoption("--modelslab-key-env", default=None,
                    help="environment variable holding the API key for --modelslab-base-url")
    group.addoption("--modelslab-budget", type=int, default=None,
                    help="most requests the contract fixtures may send to a real backend")
    group.addoption("--modelslab-seed", type=int, default=None,
                    help="seed for the mock's images and random choices")
    for name, help_ in _INI.items():
        parser.addini(name, help_ + " (the --" + name.replace("_", "-") + " option wins)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER)
    config.stash[_OPTIONS] = Options.from_config(config)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "modelslab-xdist")


def pytest_unconfigure(config: pytest.Config) -> None:
    options = config.stash.get(_OPTIONS, None)
    if options is not None and isinstance(options.budget, SharedBudget) and \
            getattr(config, "workerinput", None) is None:
        with contextlib.suppress(OSError):
            os.remove(options.budget.path)


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[_OPTIONS].header()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    options = config.stash[_OPTIONS]
    budget = options.budget
    # With pytest-xdist: the total of every worker, read from the shared budget.
    used = budget.total() if isinstance(budget, SharedBudget) else budget.used
    if used:
        cap = "" if budget.limit is None else f" of a budget of {budget.limit}"
        where = "the mock at" if config.stash.get(_REMOTE_IS_MOCK, False) else "the backend at"
        terminalreporter.write_line(f"modelslab: {used} request(s) sent to {where} "
                                    f"{options.base_url}{cap}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    __tracebackhide__ = True
    try:
        return (yield)
    except (BudgetExhausted, NotAMock) as exc:
        _outcome(item, exc)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    __tracebackhide__ = True
    meter = item.config.stash.get(_METER, None)
    refused = meter.refused if meter is not None else 0
    try:
        return (yield)
    except (BudgetExhausted, NotAMock) as exc:
        _outcome(item, exc)
    except Exception:
        if meter is not None and meter.refused > refused:
            budget = item.config.stash[_OPTIONS].budget
            pytest.fail(f"--modelslab-budget={budget.limit} is spent: "
                        f"{meter.refused - refused} request(s) to modelslab_server.url "
                        "not sent", pytrace=False)
        raise


def _outcome(item: pytest.Item, exc: BudgetExhausted | NotAMock) -> None:
    """The session's budget spent fails the test (the request was not sent); the controls of
    a backend that is no mock skip it. Any other budget's exhaustion stays as it is."""
    __tracebackhide__ = True
    if isinstance(exc, NotAMock):
        pytest.skip(str(exc))
    if exc.budget is not item.config.stash[_OPTIONS].budget:
        raise exc
    pytest.fail(f"--modelslab-budget={exc.limit} is spent ({exc.used} sent): {exc.what} "
                "not sent", pytrace=False)


def _options(request: pytest.FixtureRequest) -> Options:
    return request.config.stash[_OPTIONS]


def _with_marker(config: Any, request: pytest.FixtureRequest) -> Any:
    changes = marker_changes(request.node)
    try:
        return config.replace(**changes) if changes else config
    except (TypeError, ValueError) as exc:
        pytest.fail(f"@pytest.mark.modelslab: {exc}", pytrace=False)


@pytest.fixture
def modelslab_mock_config(request: pytest.FixtureRequest) -> Any:
    """The in-process mock's settings before the marker's; override it to change them."""
    from mockserver import MockConfig

    return MockConfig(seed=_options(request).seed)


@pytest.fixture
def modelslab_mock(request: pytest.FixtureRequest,
                   modelslab_mock_config: Any) -> Iterator[Any]:
    """The mock mounted on respx: httpx calls to the real origins reach it with no socket."""
    base_url = _options(request).base_url
    if base_url is not None:
        pytest.skip(f"modelslab_mock intercepts httpx in process and cannot redirect the "
                    f"backend given by --modelslab-base-url={base_url}; use modelslab_server "
                    "or modelslab_target to run against it")
    import respx

    from contracts._requests_guard import message, refuse_requests
    from mockserver import respx_routes
    from mockserver.inprocess import DEFAULT_ORIGINS

    with respx.mock(assert_all_called=False) as router, \
            refuse_requests(DEFAULT_ORIGINS) as refused:
        handle = respx_routes(router, config=_with_marker(modelslab_mock_config, request))
        router.route().pass_through()  # webhooks and every other host go out unchanged
        try:
            yield handle
        finally:
            handle.engine.close()
    if refused:  # even when the client swallowed the error
        pytest.fail(message(refused[0]), pytrace=False)


@pytest.fixture(scope="session")
def modelslab_server_config(pytestconfig: pytest.Config) -> Any:
    """The session server's starting settings; override it (session scope) to change them."""
    from mockserver import MockConfig

    return MockConfig(seed=pytestconfig.stash[_OPTIONS].seed)


@pytest.fixture(scope="session")
def modelslab_server_session(pytestconfig: pytest.Config,
                             modelslab_server_config: Any) -> Iterator[Server]:
    """One server for the whole session: the mock on a free loopback port, or the origin
    given by --modelslab-base-url (controlled over `/__mock/` when it is a mock)."""
    from contracts.control import HttpMockControl, Server, probe

    options = pytestconfig.stash[_OPTIONS]
    base_url = options.base_url
    if base_url is not None:
        control = probe(base_url)
        if options.budget.limit is None:
            yield Server(base_url, control)
            return
        from contracts.client import BudgetMeter

        # Tests may call `modelslab_server.url` with any client: count them on the way.
        meter = BudgetMeter(base_url, options.budget, keep_host=control is not None)
        pytestconfig.stash[_METER] = meter
        try:
            yield Server(meter.url, control)
        finally:
            meter.close()
        return
    from mockserver import LiveServer

    with LiveServer(modelslab_server_config) as live:
        yield Server(live.url, HttpMockControl(live.url), engine=live.engine)


@pytest.fixture
def modelslab_server(request: pytest.FixtureRequest,
                     modelslab_server_session: Server) -> Server:
    """The session server, reset for this test and set up by its `modelslab` marker. On a
    mock given by --modelslab-base-url (shared with other runs and xdist workers), the test
    gets its own namespace there: its `url` is under `/__ns/{name}`, and its reset, settings,
    jobs and journal are its own."""
    server = modelslab_server_session
    if server.is_mock and _options(request).base_url is not None:
        server = _namespaced(server, request.node.nodeid)
    if server.is_mock:
        server.reset()
        changes = marker_changes(request.node)
        if changes:
            try:
                server.configure(**changes)
            except (TypeError, ValueError) as exc:
                pytest.fail(f"@pytest.mark.modelslab: {exc}", pytrace=False)
    return server


def _namespaced(server: Server, nodeid: str) -> Server:
    from contracts.control import HttpMockControl, Server

    name = f"pytest-{_RUN}-{hashlib.sha256(nodeid.encode()).hexdigest()[:16]}"
    control = server.control
    admin = control.url if isinstance(control, HttpMockControl) else server.url
    return Server(in_namespace(server.url, name), HttpMockControl(in_namespace(admin, name)),
                  engine=server.engine)


@pytest.fixture
def modelslab_contract(request: pytest.FixtureRequest) -> ContractChecker:
    """Checks exchanges against every rule: `.check(request_body, response_body, endpoint)`,
    `.follow(...)` for a processing job."""
    from contracts.checker import ContractChecker

    options = _options(request)
    remote = options.base_url is not None
    return ContractChecker(secrets=(options.key or "",),
                           budget=options.budget if remote else None)


@pytest.fixture
def modelslab_webhooks() -> Iterator[Any]:
    """A webhook receiver on 127.0.0.1 (`contracts.webhooks.WebhookReceiver`): pass `.url` as
    the `webhook` of a request; `.wait()` returns the first body posted, `.bodies` all."""
    from contracts.webhooks import WebhookReceiver

    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def modelslab_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The backend the options chose (the mock by default) and the key to use on it."""
    from contracts.client import Target

    options = _options(request)
    if options.base_url is None:
        server: Server = request.getfixturevalue("modelslab_server")
        accepted = marker_changes(request.node).get(
            "accepted_keys", request.getfixturevalue("modelslab_server_config").accepted_keys)
        key = min([accepted] if isinstance(accepted, str) else accepted or [MOCK_KEY])
        target = Target(server.url, key, is_mock=True, server=server)
    else:
        key = options.key
        if options.budget.exhausted:
            pytest.skip(f"--modelslab-budget={options.budget.limit} is spent")
        server = request.getfixturevalue("modelslab_server")  # only now touch the backend
        request.config.stash[_REMOTE_IS_MOCK] = server.is_mock
        if key is None and server.is_mock:
            key = MOCK_KEY  # a mock needs no real key
        if key is None:
            pytest.skip(f"--modelslab-base-url is set but ${options.key_env} is empty: set it "
                        "to the API key (or name another variable with --modelslab-key-env)")
        url = server.url
        meter = request.config.stash.get(_METER, None)
        if meter is not None and url.startswith(meter.url):  # the target counts on its own
            url = options.base_url + url[len(meter.url):]
        target = Target(url, key, options.budget, is_mock=server.is_mock, server=server)
    with target:
        yield target
