"""pytest plugin (registered through the `pytest11` entry point `modelslab`).

Holds options, markers, fixtures and hooks only; everything heavy is imported when a fixture
is first used, so projects that install the package but use none of it pay nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from contracts import _plugin_support as support
from contracts.vocabulary import MOCK_KEY

# The mock's types (mockserver.MockConfig, .MockHandle) are written `Any` below: contracts may
# not import mockserver at module level, not even for type checking (ARCHITECTURE.md).

_OPTIONS = pytest.StashKey[support.Options]()
_MARKER = ("modelslab(**settings): per-test mock settings, e.g. queue='always', eta=0.2, "
           "error_mode='http', quirks=False, latency=50, seed=7 (any mockserver.MockConfig "
           "field); applied by modelslab_mock, modelslab_server and modelslab_target")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelslab", "ModelsLab contract and mock")
    group.addoption("--modelslab-base-url", default=None,
                    help="run the modelslab fixtures against this origin instead of the mock")
    group.addoption("--modelslab-key-env", default="MODELSLAB_API_KEY",
                    help="environment variable holding the API key for --modelslab-base-url")
    group.addoption("--modelslab-budget", type=int, default=None,
                    help="most requests the contract fixtures may send to a real backend")
    group.addoption("--modelslab-seed", type=int, default=0,
                    help="seed for the mock's images and random choices")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER)
    config.stash[_OPTIONS] = support.Options.from_config(config)


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[_OPTIONS].header()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    budget = config.stash[_OPTIONS].budget
    if budget.used:
        cap = "" if budget.limit is None else f" of a budget of {budget.limit}"
        terminalreporter.write_line(f"modelslab: {budget.used} request(s) sent to the real "
                                    f"backend{cap}")


def _options(request: pytest.FixtureRequest) -> support.Options:
    return request.config.stash[_OPTIONS]


def _with_marker(config: Any, request: pytest.FixtureRequest) -> Any:
    changes = support.marker_changes(request.node)
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

    from mockserver import respx_routes

    with respx.mock(assert_all_called=False) as router:
        handle = respx_routes(router, config=_with_marker(modelslab_mock_config, request))
        router.route().pass_through()  # webhooks and every other host go out unchanged
        try:
            yield handle
        finally:
            handle.engine.close()


@pytest.fixture(scope="session")
def modelslab_server_config(pytestconfig: pytest.Config) -> Any:
    """The session server's starting settings; override it (session scope) to change them."""
    from mockserver import MockConfig

    return MockConfig(seed=pytestconfig.stash[_OPTIONS].seed)


@pytest.fixture(scope="session")
def modelslab_server_session(pytestconfig: pytest.Config,
                             modelslab_server_config: Any
                             ) -> Iterator[support.ServerHandle]:
    """One server for the whole session: the mock on a free loopback port, or the origin
    given by --modelslab-base-url."""
    base_url = pytestconfig.stash[_OPTIONS].base_url
    if base_url is not None:
        yield support.ServerHandle(base_url, is_mock=support.probe_mock(base_url))
        return
    from mockserver import LiveServer

    with LiveServer(modelslab_server_config) as live:
        yield support.ServerHandle(live.url, is_mock=True, engine=live.engine)


@pytest.fixture
def modelslab_server(request: pytest.FixtureRequest,
                     modelslab_server_session: support.ServerHandle
                     ) -> support.ServerHandle:
    """The session server, reset for this test and set up by its `modelslab` marker."""
    server = modelslab_server_session
    if server.is_mock:
        server.reset()
        changes = support.marker_changes(request.node)
        if changes:
            try:
                server.configure(**changes)
            except (TypeError, ValueError) as exc:
                pytest.fail(f"@pytest.mark.modelslab: {exc}", pytrace=False)
    return server


@pytest.fixture
def modelslab_contract(request: pytest.FixtureRequest) -> support.ContractChecker:
    """Checks exchanges against every rule: `.check(request_body, response_body, endpoint)`,
    `.follow(...)` for a processing job."""
    options = _options(request)
    remote = options.base_url is not None
    return support.ContractChecker(secrets=(options.key or "",),
                                   budget=options.budget if remote else None)


@pytest.fixture
def modelslab_target(request: pytest.FixtureRequest) -> support.Target:
    """The backend the options chose (the mock by default) and the key to use on it."""
    options = _options(request)
    if options.base_url is None:
        server: support.ServerHandle = request.getfixturevalue("modelslab_server")
        accepted = support.marker_changes(request.node).get(
            "accepted_keys", request.getfixturevalue("modelslab_server_config").accepted_keys)
        key = min([accepted] if isinstance(accepted, str) else accepted or [MOCK_KEY])
        return support.Target(server.url, key, is_mock=True, server=server)
    key = options.key
    if key is None:
        pytest.skip(f"--modelslab-base-url is set but ${options.key_env} is empty: set it to "
                    "the API key (or name another variable with --modelslab-key-env)")
    if options.budget.exhausted:
        pytest.skip(f"--modelslab-budget={options.budget.limit} is spent")
    server = request.getfixturevalue("modelslab_server")  # only now touch the backend
    return support.Target(options.base_url, key, is_mock=server.is_mock, server=server,
                          budget=options.budget)
