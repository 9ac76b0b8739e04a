"""Images: real PNGs of the right size, deterministic, base64 and temporary links."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

import spec
from mockserver.images import ImageCache, render_png
from tests.mockserver._support import Mock, make_mock


def _png(mock: Mock, url: str) -> Image.Image:
    response = mock.get(url)
    assert response.status == 200, response.body
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.body))
    image.load()
    return image


@pytest.mark.parametrize(("width", "height", "upscale", "size"), [
    (512, 512, None, (512, 512)), (256, 768, "no", (256, 768)), (512, 256, "yes", (1024, 512)),
    (256, 256, 3, (768, 768)), (264, 256, "2", (528, 512))])
def test_output_links_serve_pngs_of_the_upscaled_size(mock: Mock, width: int, height: int,
                                                       upscale: object,
                                                       size: tuple[int, int]) -> None:
    answer = mock.generate(width=width, height=height, upscale=upscale, samples=2)

    for url in answer["output"]:
        image = _png(mock, url)
        assert image.format == "PNG" and image.size == size
    assert (answer["meta"]["W"], answer["meta"]["H"]) == (width, height)


def test_same_seed_and_parameters_give_identical_bytes() -> None:
    one, two = make_mock(), make_mock(seed=99)
    fields: dict[str, Any] = {"seed": 1234, "prompt": "a lighthouse at dusk", "samples": 2}

    first = [one.get(u).body for u in one.generate(**fields)["output"]]
    second = [two.get(u).body for u in two.generate(**fields)["output"]]

    assert first == second
    assert first[0] != first[1]  # the index is part of the image


def test_different_seeds_give_different_images(mock: Mock) -> None:
    a = mock.get(mock.generate(seed=1)["output"][0]).body
    b = mock.get(mock.generate(seed=2)["output"][0]).body

    assert a != b


def test_images_are_rendered_when_first_fetched_and_cached(mock: Mock) -> None:
    answer = mock.generate(samples=2)
    assert mock.engine.images.renders == 0

    first = mock.get(answer["output"][0]).body
    again = mock.get(answer["output"][0]).body

    assert first == again and mock.engine.images.renders == 1


def test_base64_links_decode_to_the_png(mock: Mock) -> None:
    answer = mock.generate(base64="yes", seed=7)
    plain = mock.generate(seed=7)
    url = answer["output"][0]

    response = mock.get(url)

    assert url.endswith(".base64")
    assert response.headers["content-type"].startswith("text/plain")
    assert base64.b64decode(response.body) == mock.get(plain["output"][0]).body


def test_temp_links_expire_after_the_spec_time() -> None:
    seconds = spec.contract().limits["temp_link_seconds"]
    mock = make_mock(job_ttl=2 * seconds)  # jobs (and all their links) outlive temp links
    url = mock.generate(temp=True)["output"][0]
    lasting = mock.generate()["output"][0]

    mock.clock.advance(seconds - 1)
    assert mock.get(url).status == 200
    mock.clock.advance(1)
    assert mock.get(url).status == 404
    assert mock.get(lasting).status == 200


def test_every_link_goes_with_its_job(mock: Mock) -> None:
    url = mock.generate()["output"][0]

    mock.clock.advance(mock.engine.config.job_ttl)

    assert mock.get(url).status == 404


def test_future_links_are_not_served_before_the_job_is_due(mock: Mock) -> None:
    queued = mock.generate(headers={"Prefer": "eta=5"})

    assert mock.get(queued["future_links"][0]).status == 404
    mock.clock.advance(5)
    assert mock.get(queued["future_links"][0]).status == 200


@pytest.mark.parametrize("name", ["1-0-0000000000.png", "nope.png", "1-9-abc.png", "../x"])
def test_unknown_images_are_404(mock: Mock, name: str) -> None:
    mock.generate()

    assert mock.get(f"/generations/{name}").status == 404


def test_a_stale_link_never_shows_another_image(mock: Mock) -> None:
    url = mock.generate(prompt="before")["output"][0]
    mock.engine.reset()
    mock.generate(prompt="after")

    assert mock.get(url).status == 404


def test_render_is_deterministic_and_shows_its_size() -> None:
    data = render_png(3, "a fox", 0, 256, 320)

    assert data == render_png(3, "a fox", 0, 256, 320)
    assert Image.open(io.BytesIO(data)).size == (256, 320)
    assert b"tIME" not in data and b"tEXt" not in data


def test_the_cache_is_bounded() -> None:
    cache = ImageCache(max_bytes=1)

    for seed in range(3):
        cache.png(seed, "p", 0, 256, 256)

    assert len(cache) == 1 and cache.renders == 3


def test_an_upscaled_image_is_its_base_drawing_enlarged() -> None:
    from mockserver.images import _draw

    data = render_png(5, "a fox", 1, 256, 192, 3)
    image = Image.open(io.BytesIO(data))

    assert image.size == (768, 576) and data == render_png(5, "a fox", 1, 256, 192, 3)
    base = _draw(5, "a fox", 1, 256, 192, 768, 576)  # its caption names the final size
    assert image.convert("RGB").resize((256, 192), Image.Resampling.NEAREST).tobytes() == \
        base.tobytes()


def test_render_processes_make_the_same_bytes_and_stop() -> None:
    cache = ImageCache(processes=1)
    try:
        cache.start()
        assert cache.png(7, "a fox", 0, 512, 256, 2) == render_png(7, "a fox", 0, 512, 256, 2)
        assert cache.processes == 1 and cache.renders == 1
    finally:
        cache.close()


def test_a_broken_render_pool_falls_back_to_rendering_in_the_thread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures

    from mockserver import images

    class Broken:
        def __init__(self, *args: object, **kwargs: object) -> None: ...

        def submit(self, *args: object) -> concurrent.futures.Future[bytes]:
            future: concurrent.futures.Future[bytes] = concurrent.futures.Future()
            future.set_exception(concurrent.futures.process.BrokenProcessPool("gone"))
            return future

        def shutdown(self, **kwargs: object) -> None: ...

    monkeypatch.setattr(images.concurrent.futures, "ProcessPoolExecutor", Broken)
    cache = ImageCache(processes=1)

    assert cache.png(1, "p", 0, 1024, 512) == render_png(1, "p", 0, 1024, 512)
    assert cache.processes == 0


def test_one_image_asked_for_at_once_is_rendered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import threading

    from mockserver import images

    entered, go = threading.Event(), threading.Event()
    calls: list[tuple[Any, ...]] = []

    def slow(*key: Any) -> bytes:
        calls.append(key)
        entered.set()
        go.wait(10)
        return b"png"

    monkeypatch.setattr(images, "render_png", slow)
    cache = ImageCache()
    got: list[bytes] = []
    first = threading.Thread(target=lambda: got.append(cache.png(1, "p", 0, 8, 8)))
    second = threading.Thread(target=lambda: got.append(cache.png(1, "p", 0, 8, 8)))
    first.start()
    assert entered.wait(10)
    second.start()
    # Until the second request waits for the first one's render (or renders itself).
    waiting = threading.Event()
    for _ in range(1000):
        frame = sys._current_frames().get(second.ident or 0)
        names = set()
        while frame is not None:
            names.add(frame.f_code.co_name)
            frame = frame.f_back
        if "result" in names or "slow" in names or not second.is_alive():
            break
        waiting.wait(0.005)
    go.set()
    first.join(10)
    second.join(10)

    assert got == [b"png", b"png"] and len(calls) == 1 and cache.renders == 1


def test_small_images_are_rendered_in_the_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockserver import images

    class NoPool:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise AssertionError("a small image must not start render processes")

    monkeypatch.setattr(images.concurrent.futures, "ProcessPoolExecutor", NoPool)
    cache = ImageCache(processes=1)

    assert cache.png(1, "p", 0, 512, 512) == render_png(1, "p", 0, 512, 512)


def test_a_served_mock_renders_in_processes() -> None:
    from mockserver import MockConfig, create_app
    from mockserver.images import RENDER_PROCESSES

    app = create_app(MockConfig())

    assert app.state.engine.images.processes == RENDER_PROCESSES >= 1
