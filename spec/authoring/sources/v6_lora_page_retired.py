"""An older revision of the v6 LoRA page: the same table, but steps as a fixed set of values
and an extra embeddings_model parameter. Recorded as that difference from the current page."""

from dataclasses import replace

from spec.authoring._facts import Fact
from spec.authoring.sources import v6_lora_page

_CURRENT = v6_lora_page.SOURCE

SOURCE = replace(
    _CURRENT,
    id="v6-lora-page-retired",
    title="v6 community models: LoRA (docs page, retired revision)",
    url="https://docs.modelslab.com/image-generation/community-models/dreamboothlora (older)",
    params={
        **_CURRENT.params,
        "num_inference_steps": Fact(allowed=(21, 31, 41)),
        "embeddings_model": Fact(type="string"),
    },
    # Its node sample adds embeddings_model: null to the current page's LoRA body.
    examples=({**_CURRENT.examples[0], "embeddings_model": None},),
    claims={"response_id_type": "integer"},
)
