"""The older v4 dreambooth (LoRA) page on the previous domain."""

from spec.authoring._facts import Fact, Source
from spec.authoring.sources._shared import NEGATIVE, PROMPT, SCHEDULERS
from spec.endpoints import V4

YES_NO = ("yes", "no")

SOURCE = Source(
    id="v4-dreambooth-page",
    title="v4 dreambooth LoRA (docs page)",
    url="https://stablediffusionapi.com/docs/community-models-api-v4/dreamboothlora",
    endpoint=V4,
    params={
        "key": Fact(type="string"),
        "model_id": Fact(type="string"),
        "prompt": Fact(type="string"),
        "negative_prompt": Fact(type="string"),
        "width": Fact(maximum=1024),
        "height": Fact(maximum=1024),
        "samples": Fact(maximum=4),
        "num_inference_steps": Fact(minimum=1, maximum=50),
        "enhance_prompt": Fact(type="yes/no", default="yes", enum=YES_NO),
        "seed": Fact(nullable=True),
        "guidance_scale": Fact(minimum=1, maximum=20),
        "multi_lingual": Fact(type="yes/no", enum=YES_NO),
        "panorama": Fact(type="yes/no", enum=YES_NO),
        "self_attention": Fact(type="yes/no", enum=YES_NO),
        "upscale": Fact(type="yes/no", enum=YES_NO),
        "embeddings_model": Fact(type="string"),
        "lora_model": Fact(type="id-list"),
        "lora_strength": Fact(type="strength-list"),
        "scheduler": Fact(type="enum", enum=SCHEDULERS),
        "webhook": Fact(type="url"),
        "track_id": Fact(type="string"),
        "clip_skip": Fact(minimum=1, maximum=8),
        "base64": Fact(type="yes/no", default="no", enum=YES_NO),
        "temp": Fact(type="yes/no", enum=YES_NO),
    },
    examples=(
        {
            "key": "", "model_id": "your_model_id", "prompt": PROMPT, "negative_prompt": NEGATIVE,
            "width": "512", "height": "512", "samples": "1", "num_inference_steps": "30",
            "safety_checker": "no", "enhance_prompt": "yes", "seed": None,
            "guidance_scale": 7.5, "multi_lingual": "no", "panorama": "no",
            "self_attention": "no", "upscale": "no", "embeddings_model": None,
            "lora_model": None, "scheduler": "UniPCMultistepScheduler", "webhook": None,
            "track_id": None,
        },
    ),
    claims={
        "response_id_type": "integer",
        "response_meta_keys": ("safetychecker", "lora"),
        "response_example_steps_for_request_30": 20,
    },
)
