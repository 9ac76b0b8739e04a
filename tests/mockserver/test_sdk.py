"""The official ModelsLab SDK (modelslab-py, on requests) against the mock on a real port.

The SDK's client hard-codes https://modelslab.com/api/; pointing `client.base_url` at the mock
before building an API object is all it takes. Its fetch loop posts to `{base}fetch/{id}` and
sleeps `client.fetch_timeout` seconds between attempts, so the tests set that small.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockserver import LiveServer

modelslab_py = pytest.importorskip("modelslab_py")
from modelslab_py.core.apis.community import Community  # noqa: E402
from modelslab_py.core.client import Client  # noqa: E402
from modelslab_py.schemas.community import Text2Image  # noqa: E402

pytestmark = [
    # The SDK calls pydantic's deprecated `.dict()`; not ours to fix.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    with LiveServer() as server:
        yield server


@pytest.fixture
def api(live: LiveServer) -> Community:
    live.engine.reset()
    client = Client(api_key="sdk-test-key", fetch_retry=20, fetch_timeout=0.05)
    client.base_url = f"{live.url}/api/"
    return Community(client)


def test_the_sdk_completes_a_multi_lora_text_to_image(api: Community) -> None:
    schema = Text2Image(prompt="a lighthouse at dusk", model_id="sdxl", width=768, height=512,
                        samples=2, num_inference_steps=31, seed=12,
                        lora_model="more_details,add_detail")

    answer: dict[str, Any] = api.text_to_image(schema)

    assert answer["status"] == "success" and len(answer["output"]) == 2
    meta = answer["meta"]
    assert (meta["W"], meta["H"], meta["steps"], meta["seed"]) == (768, 512, 20, 12)
    assert meta["lora"] == "more_details,add_detail" and meta["lora_strength"] == "1,1"


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydantic: a str where the SDK says float
def test_the_sdk_sends_multi_lora_strengths_when_its_schema_is_bypassed(api: Community) -> None:
    # The SDK types lora_strength as a float, so "0.45,0.55" only passes unvalidated.
    schema = Text2Image.model_construct(prompt="a fox", model_id="sdxl",
                                        lora_model="more_details,add_detail",
                                        lora_strength="0.45,0.55")

    answer: dict[str, Any] = api.text_to_image(schema)

    assert answer["status"] == "success"
    assert answer["meta"]["lora_strength"] == "0.45,0.55"


def test_the_sdk_completes_a_queued_job_through_its_fetch_loop(live: LiveServer,
                                                                api: Community) -> None:
    live.engine.configure(queue="always", eta=0.2)
    schema = Text2Image(prompt="a red fox", model_id="sdxl", samples=3,
                        lora_model="a,b", seed=99)

    queued: dict[str, Any] = api.text_to_image(schema)
    done: dict[str, Any] = api.fetch(str(queued["id"]))

    assert queued["status"] == "processing"
    assert done["status"] == "success" and done["id"] == queued["id"]
    assert done["output"] == queued["future_links"]
    fetches = [e for e in live.engine.journal.entries("request")
               if e["path"].startswith("/api/v6/images/fetch/")]
    assert len(fetches) >= 2 and fetches[0]["outcome"] == "processing"
    assert "sdk-test-key" not in str(live.engine.journal.entries())


def test_the_sdk_realtime_method_generates_and_fetches(live: LiveServer) -> None:
    from modelslab_py.core.apis.realtime import Realtime
    from modelslab_py.schemas.realtime import RealtimeText2ImageSchema

    live.engine.reset()
    client = Client(api_key="sdk-test-key", fetch_retry=20, fetch_timeout=0.05)
    client.base_url = f"{live.url}/api/"  # before Realtime(): it joins its base at init
    realtime = Realtime(client=client)
    schema = RealtimeText2ImageSchema(prompt="a lighthouse", width=256, height=256, samples=2,
                                      num_inference_steps=8, guidance_scale=3)

    answer: dict[str, Any] = realtime.text_to_image(schema)
    live.engine.configure(queue="always", eta=0.1)
    queued: dict[str, Any] = realtime.text_to_image(schema)
    done: dict[str, Any] = realtime.fetch(str(queued["id"]))

    assert answer["status"] == "success" and len(answer["output"]) == 2
    assert answer["meta"]["model_id"] == "realtime"  # realtime takes no model_id
    assert queued["status"] == "processing" and done["status"] == "success"
    paths = [e["path"] for e in live.engine.journal.entries("request")]
    assert "/api/v6/realtime/text2img" in paths
    assert f"/api/v6/realtime/fetch/{queued['id']}" in paths
