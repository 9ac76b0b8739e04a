"""pytest plugin (registered through the `pytest11` entry point `modelslab`).

Holds options, the marker, fixtures and hooks only: the fixtures hand out the library's own
objects (`contracts.checker.ContractChecker`, `contracts.client.Target`,
`contracts.control.Server`, `mockserver.MockHandle`). Everything heavy is imported when a
fixture is first used, so projects that install the package but use none of it pay nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from contracts._plugin_marker import marker_settings, namespaced, refuse_unknown
from contracts._plugin_options import INI, OPTIONS, Options, XdistHooks
from contracts.client import BudgetExhausted, SharedBudget
from contracts.control import NotAMock
from contracts.redaction import Scrubber
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

#: The forwarder that counts `modelslab_server.url`'s requests (a budget and a remote backend).
_METER = pytest.StashKey[Any]()
_REFUSED = pytest.StashKey[int]()
#: Whether the --modelslab-base-url origin turned out to be a mock (known once probed).
_REMOTE_IS_MOCK = pytest.StashKey[bool]()


def marker_changes(node: pytest.Item) -> dict[str, Any]:
    """The settings of every `modelslab` marker on `node`; the closest marker wins."""
    changes = marker_settings(node)
    import dataclasses

    from mockserver import MockConfig  # lazily (ARCHITECTURE.md)

    # Fail the test on a setting the mock does not have, suggesting the closest.
    refuse_unknown(node, changes, [f.name for f in dataclasses.fields(MockConfig) if f.init])
    return changes


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
    for name, help_ in INI.items():
        parser.addini(name, help_ + " (the --" + name.replace("_", "-") + " option wins)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER)
    config.stash[OPTIONS] = Options.from_config(config)
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(), "modelslab-xdist")


def pytest_unconfigure(config: pytest.Config) -> None:
    options = config.stash.get(OPTIONS, None)
    if options is not None and isinstance(options.budget, SharedBudget) and \
            getattr(config, "workerinput", None) is None:
        with contextlib.suppress(OSError):
            os.remove(options.budget.path)


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[OPTIONS].header()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    options = config.stash[OPTIONS]
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
            budget = item.config.stash[OPTIONS].budget
            pytest.fail(f"--modelslab-budget={budget.limit} is spent: "
                        f"{meter.refused - refused} request(s) to modelslab_server.url "
                        "not sent", pytrace=False)
        raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """The plugin's one scrubbing point: a test's failure text and captured output never show
    the key of --modelslab-key-env (the fixtures hand tests raw replies, judged as they came)."""
    report = yield
    key = item.config.stash[OPTIONS].key
    if key and (report.longrepr is not None or report.sections):
        _scrub_report(report, Scrubber((key,)))
    return report


def _scrub_report(report: pytest.TestReport, hide: Scrubber) -> None:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # a skip: (path, line, reason)
        report.longrepr = (longrepr[0], longrepr[1], hide(str(longrepr[2])))
    elif longrepr is not None:
        text = str(longrepr)
        shown = hide(text)
        if shown != text:
            report.longrepr = shown
    report.sections = [(title, hide(content)) for title, content in report.sections]


def _outcome(item: pytest.Item, exc: BudgetExhausted | NotAMock) -> None:
    """The session's budget spent fails the test (the request was not sent); the controls of
    a backend that is no mock skip it. Any other budget's exhaustion stays as it is."""
    __tracebackhide__ = True
    if isinstance(exc, NotAMock):
        pytest.skip(str(exc))
    if exc.budget is not item.config.stash[OPTIONS].budget:
        raise exc
    pytest.fail(f"--modelslab-budget={exc.limit} is spent ({exc.used} sent): {exc.what} "
                "not sent", pytrace=False)


def _options(request: pytest.FixtureRequest) -> Options:
    return request.config.stash[OPTIONS]


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

    return MockConfig(seed=pytestconfig.stash[OPTIONS].seed)


@pytest.fixture(scope="session")
def modelslab_server_session(pytestconfig: pytest.Config,
                             modelslab_server_config: Any) -> Iterator[Server]:
    """One server for the whole session: the mock on a free loopback port, or the origin
    given by --modelslab-base-url (controlled over `/__mock/` when it is a mock)."""
    from contracts.control import HttpMockControl, Server, probe

    options = pytestconfig.stash[OPTIONS]
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
        server = namespaced(server, request.node.nodeid)
    if server.is_mock:
        server.reset()
        changes = marker_changes(request.node)
        if changes:
            try:
                server.configure(**changes)
            except (TypeError, ValueError) as exc:
                pytest.fail(f"@pytest.mark.modelslab: {exc}", pytrace=False)
    return server


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
