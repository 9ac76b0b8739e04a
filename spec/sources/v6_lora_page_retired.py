"""An older copy of the v6 LoRA page: steps as a fixed set, plus embeddings_model."""

from spec._facts import Fact, Source
from spec.sources._shared import NEGATIVE, PROMPT, SCHEDULERS

YES_NO = ("yes", "no")

SOURCE = Source(
    id="v6-lora-page-retired",
    title="v6 community models: LoRA (docs page, retired revision)",
    url="https://docs.modelslab.com/image-generation/community-models/dreamboothlora (older)",
    endpoint="/api/v6/images/text2img",
    params={
        "key": Fact(type="string"),
        "model_id": Fact(type="string"),
        "prompt": Fact(type="string"),
        "negative_prompt": Fact(type="string"),
        "width": Fact(maximum=1024),
        "height": Fact(maximum=1024),
        "samples": Fact(maximum=4),
        "num_inference_steps": Fact(allowed=(21, 31, 41)),
        "safety_checker": Fact(type="yes/no", default="yes", enum=YES_NO),
        "enhance_prompt": Fact(type="yes/no", default="yes", enum=YES_NO),
        "seed": Fact(nullable=True),
        "guidance_scale": Fact(minimum=1, maximum=20),
        "multi_lingual": Fact(type="yes/no", enum=YES_NO),
        "panorama": Fact(type="yes/no", enum=YES_NO),
        "self_attention": Fact(type="yes/no", enum=YES_NO),
        "upscale": Fact(type="yes/no", enum=YES_NO),
        "embeddings_model": Fact(type="string"),
        "lora_model": Fact(type="id-list"),
        "lora_strength": Fact(type="strength-list", minimum=0.1, maximum=1),
        "scheduler": Fact(type="enum", enum=SCHEDULERS),
        "webhook": Fact(type="url"),
        "track_id": Fact(type="integer"),
        "clip_skip": Fact(minimum=1, maximum=8),
        "base64": Fact(type="yes/no", default="no", enum=YES_NO),
        "temp": Fact(type="yes/no", enum=YES_NO),
    },
    examples=(
        # The node sample of this revision adds embeddings_model: null to the LoRA body.
        {
            "key": "", "model_id": "tamarin-xl-v1", "prompt": PROMPT, "negative_prompt": NEGATIVE,
            "width": "512", "height": "512", "samples": "1", "num_inference_steps": "31",
            "safety_checker": "no", "enhance_prompt": "yes", "seed": None,
            "guidance_scale": 7.5, "panorama": "no", "self_attention": "no", "upscale": "no",
            "lora_model": "xl-realistic-cake-art-sty", "lora_strength": "0.45",
            "embeddings_model": None, "scheduler": "UniPCMultistepScheduler", "webhook": None,
            "track_id": None,
        },
    ),
    claims={"response_id_type": "integer"},
)
